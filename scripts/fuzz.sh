#!/usr/bin/env bash
# Run one libFuzzer harness: scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags...]
#   TARGET: zip | unpickler | legacy | safetensors | interp
# Builds the harness in build/sanitize (clang-14, see below), makes the seed corpus
# with real torch on first use (fuzz/make_seeds.py), and fuzzes with the flags of
# security-notes §5. The corpus grows in build/fuzz-corpus/TARGET; crashes land in
# build/fuzz-crashes/TARGET; the run's summary (CPU seconds, executions, coverage) is appended to
# build/fuzz-runs.log, from which fuzz/RESULTS.md is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]}
shift 2
case "$target" in
  zip) dicts="zip pickle" ;;
  unpickler) dicts="pickle" ;;
  legacy) dicts="legacy pickle" ;;
  safetensors) dicts="json" ;;
  interp) dicts="python" ;;
  *) echo "fuzz.sh: unknown target $target (zip, unpickler, legacy, safetensors, interp)" >&2; exit 2 ;;
esac

# clang-14 with ASan+UBSan and libFuzzer coverage in every library (CKPTGUARD_FUZZ), no libtorch.
build=build/sanitize
if [ ! -f "$build/build.ninja" ]; then
  mkdir -p "$build"
  # The grammar is a verified download; reuse the main build's copy when there is one.
  if [ -d build/grammar ] && [ ! -d "$build/grammar" ]; then cp -r build/grammar "$build/"; fi
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPYTHON_EXECUTABLE=/usr/bin/python3 -DCKPTGUARD_FUZZ=ON -DCKPTGUARD_WITH_TORCH=OFF -DCKPTGUARD_PACKAGE_DIR="$PWD/$build/package" >/dev/null
fi
cmake --build "$build" --target "fuzz_$target" >/dev/null

corpus=build/fuzz-corpus/$target
[ -d "$corpus" ] || /usr/bin/python3 fuzz/make_seeds.py build/fuzz-corpus >/dev/null
crashes=build/fuzz-crashes/$target
mkdir -p "$crashes"
dict=build/fuzz-$target.dict
for d in $dicts; do cat "fuzz/dicts/$d.dict"; done > "$dict"

log=build/fuzz-$target.log
start=$(date +%s)
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
  /usr/bin/time -f '%U %S' -o "$log.time" "$build/bin/fuzz_$target" "$corpus" -dict="$dict" -max_total_time="$seconds" \
  -rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$crashes/" "$@" >"$log" 2>&1 && status=0 || status=$?
{
  printf '%s %s seconds=%s cpu_seconds=%s exit=%s ' "$(date -u +%FT%TZ)" "$target" \
    "$(( $(date +%s) - start ))" "$(awk 'END { print $1 + $2 }' "$log.time")" "$status"
  grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 | tr -s ' ' | tr '\n' ' '
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" | tr '\n' ' '
  echo
} >> build/fuzz-runs.log
tail -1 build/fuzz-runs.log
exit "$status"
