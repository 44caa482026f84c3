#!/usr/bin/env bash
# Run every test: bootstrap (install, build), then GoogleTest via ctest and pytest; the packaging
# test (pip wheel of a clean clone into a new venv: one more build, in a temporary directory); then
# the hostile-input checks: the GoogleTest suites again under ASan+UBSan, and a minute of each fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
status=0
(cd build && ctest --output-on-failure -j"$(nproc)") || status=1
.venv/bin/python -m pytest -q tests/python || status=1
.venv/bin/python -m pytest -q -s tests/packaging || status=1

# The GoogleTest suites built with ASan+UBSan (-fno-sanitize-recover=all), without libtorch, by
# the default compiler (the fuzzers below are the clang-14 build).
if [ ! -f build/asan/build.ninja ]; then
  mkdir -p build/asan && cp -r build/grammar build/asan/
  cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPYTHON_EXECUTABLE=/usr/bin/python3 \
    -DCKPTGUARD_SANITIZE=ON -DCKPTGUARD_WITH_TORCH=OFF -DCKPTGUARD_PACKAGE_DIR="$PWD/build/asan/package" >/dev/null
fi
cmake --build build/asan --target ckptguard_checkpoint_tests ckptguard_tests ckptguard_analyzer_tests || status=1
(cd build/asan && ctest --output-on-failure -j"$(nproc)") || status=1

# Each libFuzzer harness for 60 s from seeds made by real torch (scripts/fuzz.sh, build/sanitize).
for target in zip unpickler legacy safetensors interp; do
  scripts/fuzz.sh "$target" 60 || { echo "fuzz_$target failed: see build/fuzz-$target.log"; status=1; }
done
exit $status
