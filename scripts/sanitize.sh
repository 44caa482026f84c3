#!/usr/bin/env bash
# Build TARGETS in build/sanitize: clang-14 with ASan+UBSan (-fno-sanitize-recover=all) and
# libFuzzer coverage everywhere (CKPTGUARD_FUZZ=ON), without libtorch. Used by scripts/fuzz.sh and
# by scripts/test.sh for the sanitized unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/sanitize
if [ ! -f "$build/build.ninja" ]; then
  mkdir -p "$build"
  # The grammar is a verified download; reuse the main build's copy when there is one.
  if [ -d build/grammar ] && [ ! -d "$build/grammar" ]; then cp -r build/grammar "$build/"; fi
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPYTHON_EXECUTABLE=/usr/bin/python3 -DCKPTGUARD_FUZZ=ON -DCKPTGUARD_WITH_TORCH=OFF >/dev/null
fi
cmake --build "$build" --target "$@"
