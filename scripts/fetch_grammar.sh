#!/usr/bin/env bash
# Fetch tree-sitter-python's generated parser from npm into DEST, verifying the npm integrity hash.
# The grammar is a build input only: it is never committed (see .gitignore).
set -euo pipefail
dest=${1:?usage: fetch_grammar.sh DEST_DIR}
version=0.23.6
integrity="sha512-yIM9z0oxKIxT7bAtPOhgoVl6gTXlmlIhue7liFT4oBPF/lha7Ha4dQBS82Av6hMMRZoVnFJI8M6mL+SwWoLD3A=="

if [ -f "$dest/.verified-$version" ]; then exit 0; fi
command -v npm >/dev/null || { echo "fetch_grammar: npm is required to fetch tree-sitter-python" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "tree-sitter-python@$version" >/dev/null)
tarball="$work/tree-sitter-python-$version.tgz"
actual="sha512-$(/usr/bin/python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$tarball")"
if [ "$actual" != "$integrity" ]; then
  echo "fetch_grammar: integrity mismatch for tree-sitter-python@$version: got $actual" >&2
  exit 2
fi
rm -rf "$dest"
mkdir -p "$dest"
tar -xzf "$tarball" -C "$dest" --strip-components=1 package/src package/LICENSE
touch "$dest/.verified-$version"
