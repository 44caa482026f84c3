#!/usr/bin/env bash
# Install what ckptguard needs on Debian 12, fetch the grammar, build, and install the Python
# package into .venv in development mode. Idempotent: a second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Building: compiler, CMake, Ninja, the headers and static archives the binaries are made from,
# and libtorch for the checker. Testing: torch and friends, pytest and its helpers, GoogleTest,
# pre-commit (the hook test), jsonschema and markdown (report validation), chromium (the HTML
# report test renders the page), clang-14 with libFuzzer (scripts/fuzz.sh). README's Install
# section says which of these users need.
debs=(build-essential cmake ninja-build git python3-dev python3-venv python3-pip
      pybind11-dev libtree-sitter-dev libfmt-dev libdeflate-dev nlohmann-json3-dev
      libtomlplusplus-dev libtorch-dev libxxhash-dev
      python3-torch python3-torchvision python3-torchaudio libgtest-dev libgmock-dev zlib1g-dev
      python3-pytest python3-pytest-xdist python3-hypothesis python3-jsonschema python3-markdown
      pre-commit chromium clang-14 libclang-rt-14-dev)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The grammar comes from npm; use the machine's Node.js when it has one, else Debian's.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}" >&2
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

scripts/fetch_grammar.sh build/grammar/tree-sitter-python

if [ ! -x .venv/bin/python ]; then
  /usr/bin/python3 -m venv --system-site-packages .venv
fi

if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPYTHON_EXECUTABLE=/usr/bin/python3 >/dev/null
fi
cmake --build build -j"$(nproc)"

if ! .venv/bin/python -c 'import importlib.metadata as m; m.distribution("ckptguard")' 2>/dev/null; then
  .venv/bin/pip install --quiet --no-index --no-deps --no-build-isolation -e . >/dev/null
fi

# The `ckptguard` command is the native binary itself: a commit hook starts in milliseconds
# instead of paying for a Python interpreter first. `python -m ckptguard` runs the same CLI.
ln -sf "$(pwd)/build/bin/ckptguard" .venv/bin/ckptguard
