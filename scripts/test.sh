#!/usr/bin/env bash
# Run every test: bootstrap (install, build), then GoogleTest via ctest, pytest, and the
# packaging test (pip wheel of a clean clone into a new venv: one more build, in a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
status=0
(cd build && ctest --output-on-failure -j"$(nproc)") || status=1
.venv/bin/python -m pytest -q tests/python || status=1
.venv/bin/python -m pytest -q -s tests/packaging || status=1
exit $status
