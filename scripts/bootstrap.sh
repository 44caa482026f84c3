#!/usr/bin/env bash
# Install what ckptguard needs on Debian 12, fetch the grammar, build, and install the Python
# package into .venv in development mode. Idempotent: a second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(build-essential cmake ninja-build python3-venv python3-setuptools python3-pip
      libtorch-dev python3-torch python3-torchvision python3-torchaudio
      pybind11-dev python3-pybind11 libtree-sitter-dev libfmt-dev libgtest-dev libgmock-dev
      libzip-dev zlib1g-dev libxxhash-dev nlohmann-json3-dev
      python3-pytest python3-pytest-xdist python3-hypothesis python3-rich pre-commit hyperfine git
      libtomlplusplus-dev python3-jsonschema python3-markdown chromium)
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
