"""Shared helpers for the `ckptguard inspect` tests: running the CLI, and flattening what
torch.load returns into the same (path, shape, dtype) table inspect reports.

The binary is build/bin/ckptguard under the repository root; CKPTGUARD_BIN overrides it.
"""

import json
import os
import pathlib
import subprocess
from collections import namedtuple

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
BINARY = pathlib.Path(os.environ.get("CKPTGUARD_BIN", REPO_ROOT / "build" / "bin" / "ckptguard"))

Inspection = namedtuple("Inspection", "returncode report stdout stderr")


def run_cli(*args, timeout=60):
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def inspect_report(path):
    """`inspect --format json`; the parsed report only when the exit code is 0 or 1."""
    done = run_cli("inspect", path, "--format", "json")
    report = json.loads(done.stdout) if done.returncode in (0, 1) else None
    return Inspection(done.returncode, report, done.stdout, done.stderr)


def key_text(key):
    """How ckptguard spells a dict key or index as a path element."""
    return key if isinstance(key, str) else str(key)


def torch_tensors(obj):
    """(path, tensor) for every tensor in what torch.load returned, in iteration order."""
    import torch

    out = []
    stack = [((), obj)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, torch.Tensor):
            out.append((list(path), value))
            continue
        if isinstance(value, dict):
            children = [(key_text(k), v) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            children = [(str(i), v) for i, v in enumerate(value)]
        else:
            continue
        stack.extend((path + (k,), v) for k, v in reversed(children))
    return out


def dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def expected_table(obj):
    return [(path, list(t.shape), dtype_name(t.dtype)) for path, t in torch_tensors(obj)]


def reported_table(report):
    return [(t["path"], t["shape"], t["dtype"]) for t in report["tensors"]]
