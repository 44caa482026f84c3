"""Branch conditions of every torchvision and torchaudio builder, checked by CPython: each branch's
condition must hold for its own witness and fail for every other branch's witness. A condition is
Python over the constructor's parameters; CPython evaluates it with the parameter defaults
overridden by the witness.

Prints per target the number of branches and any condition that is wrong, then the totals.

Run: .venv/bin/python benchmarks/branch_conditions.py [--only SUBSTRING] [--json OUT]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CKPTGUARD = Path(os.environ.get("CKPTGUARD", REPO / ".venv" / "bin" / "ckptguard"))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests" / "python"))

from branch_truth import condition_environment, condition_holds  # noqa: E402


def targets() -> list[tuple[str, dict[str, str]]]:
    """(FILE::NAME, --config values): every torchvision builder and the torchaudio defaults of
    benchmarks/accuracy.py."""
    import torchaudio.models
    import torchvision.models as tv

    import accuracy

    out = [(accuracy.builder_target(name), accuracy.builder_kwargs(name)) for name in tv.list_models()]
    for name, config, default in accuracy.TORCHAUDIO:
        if default:
            fn = inspect.unwrap(getattr(torchaudio.models, name))
            out.append((f"{inspect.getsourcefile(fn)}::{fn.__name__}", config))
    return out


def check(target: str, config: dict[str, str]) -> dict:
    argv = [str(CKPTGUARD), "branches", target, "--format", "json"]
    for k, v in config.items():
        argv += ["--config", f"{k}={v}"]
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        return {"target": target, "error": result.stderr.strip().splitlines()[-1:] or [f"exit {result.returncode}"]}
    doc = json.loads(result.stdout)
    branches = doc["branches"]
    envs = [condition_environment(doc, b["witness"]) for b in branches]
    wrong, opaque = [], []
    for i, b in enumerate(branches):
        own = condition_holds(b["condition"], envs[i])
        if own is None:
            opaque.append(b["condition"])
            continue
        if not own:
            wrong.append(f"[{i}] {b['condition']!r} is false for its own witness {b['witness']}")
        for j, other in enumerate(envs):
            if j != i and condition_holds(b["condition"], other):
                wrong.append(f"[{i}] {b['condition']!r} also holds for [{j}] {branches[j]['witness']}")
    return {"target": target, "branches": len(branches), "wrong": wrong, "opaque": opaque}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="targets whose FILE::NAME contains this")
    parser.add_argument("--json", type=Path, help="write the rows as JSON")
    args = parser.parse_args()
    rows = [check(t, c) for t, c in targets() if not args.only or args.only in t]
    for r in rows:
        name = r["target"].split("/")[-1]
        if "error" in r:
            print(f"{name:45} error: {r['error'][0]}")
            continue
        flag = "ok" if not r["wrong"] and not r["opaque"] else f"{len(r['wrong'])} wrong, {len(r['opaque'])} opaque"
        print(f"{name:45} {r['branches']:4} branches  {flag}")
        for w in r["wrong"][:3] + [f"opaque: {o}" for o in r["opaque"][:3]]:
            print(f"    {w}")
    ok = [r for r in rows if "error" not in r]
    conditions = sum(r["branches"] for r in ok)
    print(f"\n{len(ok)} targets, {conditions} branches; conditions wrong: {sum(len(r['wrong']) for r in ok)}, "
          f"not over parameters: {sum(len(r['opaque']) for r in ok)}; errors: {len(rows) - len(ok)}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0 if all("error" not in r and not r["wrong"] and not r["opaque"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
