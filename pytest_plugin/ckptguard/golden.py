"""Golden manifests: the committed record of every branch's state_dict (keys, order, kinds,
shapes, dtypes) of one model class, and the diff that fails a test when the code changes it.

One JSON file per class, one key per line so that a change reviews like code:

    {
      "class": "shop.models:Net",
      "branches": {
        "default": {
          "witness": {},
          "keys": [
            ["linear1.weight", "parameter", [5, 10], "float32"],
            ...
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Key = list  # [name, kind, shape, dtype]
Branches = dict[str, dict[str, Any]]  # branch id -> {"witness": {...}, "keys": [Key, ...]}

FORMAT_VERSION = 1


def render(class_key: str, branches: Branches) -> str:
    out = ["{", f'  "class": {json.dumps(class_key)},', f'  "format": {FORMAT_VERSION},', '  "branches": {']
    items = list(branches.items())
    for i, (bid, branch) in enumerate(items):
        out.append(f"    {json.dumps(bid)}: {{")
        out.append(f'      "witness": {json.dumps(branch["witness"], sort_keys=True)},')
        keys = branch["keys"]
        if not keys:
            out.append('      "keys": []')
        else:
            out.append('      "keys": [')
            out += [f"        {json.dumps(k)}{',' if j < len(keys) - 1 else ''}" for j, k in enumerate(keys)]
            out.append("      ]")
        out.append("    }" + ("," if i < len(items) - 1 else ""))
    out += ["  }", "}", ""]
    return "\n".join(out)


def read(path: Path) -> Branches:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return doc["branches"]


def write(path: Path, class_key: str, branches: Branches) -> bool:
    """Write the manifest; False when the file already says exactly this."""
    text = render(class_key, branches)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def unused(directory: Path, wanted: set[str]) -> list[Path]:
    """Manifest files in `directory` whose names are not in `wanted`."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.json") if p.name not in wanted)


def fmt_shape(shape: list[int] | None) -> str:
    return "?" if shape is None else "[" + ", ".join(map(str, shape)) + "]"


def fmt_key(k: Key) -> str:
    return f"{fmt_shape(k[2])} {k[3]}" + ("" if k[1] == "parameter" else " (buffer)")


def key_diff(old: list[Key], new: list[Key]) -> dict[str, Any]:
    """Removed, added and changed keys, and whether the common keys changed order."""
    old_by = {k[0]: k for k in old}
    new_by = {k[0]: k for k in new}
    removed = [k for k in old if k[0] not in new_by]
    added = [k for k in new if k[0] not in old_by]
    changed = [(old_by[k[0]], k) for k in new if k[0] in old_by and old_by[k[0]] != k]
    common_old = [k[0] for k in old if k[0] in new_by]
    common_new = [k[0] for k in new if k[0] in old_by]
    reordered = None
    if common_old != common_new:
        i = next(i for i, (a, b) in enumerate(zip(common_old, common_new)) if a != b)
        reordered = (i, common_old[i], common_new[i])
    return {"removed": removed, "added": added, "changed": changed, "reordered": reordered}


def diff_lines(d: dict[str, Any], locate, limit: int = 12) -> list[str]:
    """`- old`, `+ new (where)`, `~ changed` lines, at most `limit` of each kind."""
    lines: list[str] = []
    width = max([len(k[0]) for k in d["removed"] + d["added"]] + [len(o[0]) for o, _ in d["changed"]] + [1])

    def clip(entries, render_one):
        shown = [render_one(e) for e in entries[:limit]]
        if len(entries) > limit:
            shown.append(f"  ... and {len(entries) - limit} more")
        return shown

    lines += clip(d["removed"], lambda k: f"- {k[0]:<{width}}  {fmt_key(k)}")

    def added(k):
        where = locate(k[0])
        return f"+ {k[0]:<{width}}  {fmt_key(k)}" + (f"   {where}" if where else "")
    lines += clip(d["added"], added)

    def changed(pair):
        o, n = pair
        parts = []
        if o[1] != n[1]:
            parts.append(f"{o[1]} -> {n[1]}")
        if o[2] != n[2]:
            parts.append(f"shape {fmt_shape(o[2])} -> {fmt_shape(n[2])}")
        if o[3] != n[3]:
            parts.append(f"dtype {o[3]} -> {n[3]}")
        where = locate(n[0])
        return f"~ {n[0]:<{width}}  {', '.join(parts)}" + (f"   {where}" if where else "")
    lines += clip(d["changed"], changed)
    if d["reordered"]:
        i, a, b = d["reordered"]
        lines.append(f"order changed: key {i} of the keys both have was {a!r}, is now {b!r}")
    return lines
