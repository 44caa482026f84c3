"""Shared helpers for ckptguard's Python tests (imported by name; tests/python is on sys.path)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"


def import_file(path: Path, name: str | None = None):
    """Import a Python file as a fresh module (for instantiating models with real torch)."""
    spec = importlib.util.spec_from_file_location(name or f"ckg_test_{path.stem}_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def torch_keys(module) -> list[tuple[str, str, list[int], str]]:
    """Ground truth: (name, kind, shape, dtype) for every state_dict entry, in order."""
    params = {f"{prefix}.{name}" if prefix else name
              for prefix, sub in module.named_modules(remove_duplicate=False)
              for name, p in sub._parameters.items() if p is not None}
    return [(k, "parameter" if k in params else "buffer", list(v.shape), str(v.dtype).removeprefix("torch."))
            for k, v in module.state_dict().items()]


def predicted_keys(doc: dict) -> list[tuple[str, str, list[int] | None, str | None]]:
    return [(k["name"], k["kind"], k["shape"], k["dtype"]) for k in doc["keys"]]


def run_console(*args: str) -> subprocess.CompletedProcess:
    """Run the installed console command, as a user would."""
    return subprocess.run([str(VENV_BIN / "ckptguard"), *args], capture_output=True, text=True, timeout=120)

