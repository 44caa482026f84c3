#!/usr/bin/env bash
# Run every test: bootstrap (install, build), then GoogleTest via ctest and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
status=0
(cd build && ctest --output-on-failure -j"$(nproc)") || status=1
.venv/bin/python -m pytest -q tests/python || status=1
exit $status
