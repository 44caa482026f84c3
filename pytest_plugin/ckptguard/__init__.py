"""ckptguard: make PyTorch checkpoint breakage impossible to miss.

Importing this package loads neither torch nor libtorch: the static analysis lives in the
``ckptguard._core`` extension; the libtorch value checker (``ckptguard.checker``) is imported
only when used.
"""

from __future__ import annotations

import importlib
import json
import os
from typing import Any, Mapping

__version__ = "0.1.0"
__all__ = ["ExtensionError", "branches", "check", "check_keys", "check_model", "inspect", "predict_keys",
           "predict_keys_many", "run_cli", "simulate_load", "__version__"]

REINSTALL = "reinstall ckptguard (pip install --force-reinstall <its checkout or git+URL>; in a checkout: scripts/bootstrap.sh)"


class ExtensionError(ImportError):
    """A native extension of ckptguard is missing, broken, or built for another torch. The
    message is one line: what is wrong and how to fix it."""


def _reason(error: BaseException) -> str:
    if isinstance(error, ModuleNotFoundError) and error.name and error.name.startswith("ckptguard."):
        return "not installed"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _library_path() -> list[str]:
    """This interpreter's sys.path without the standard library: where installed packages that
    model code imports are found (what the command line asks the project's interpreter for)."""
    import sys
    import sysconfig

    skip = {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib")}
    return [os.path.abspath(p) for p in sys.path[1:]
            if p and p not in skip and not p.endswith(("lib-dynload", ".zip")) and os.path.isdir(p)]


def _load_core():
    """The ``_core`` extension (imports resolved through this interpreter's sys.path), or ExtensionError."""
    try:
        core = importlib.import_module("ckptguard._core")
        if os.environ.get("CKPTGUARD_NO_LIBRARIES") != "1" and hasattr(core, "set_library_path"):
            core.set_library_path(_library_path())
        return core
    except ImportError as e:
        raise ExtensionError(f"the native extension ckptguard._core is missing or broken ({_reason(e)}); "
                             f"{REINSTALL}") from e


def _load_checker():
    """The ``_checker`` extension, checked against the torch it runs in, or ExtensionError.
    Imports torch."""
    try:
        from ckptguard import _build_info
    except ImportError:  # a development tree configured before _build_info.py existed
        _build_info = None
    built = getattr(_build_info, "checker_torch", None)
    if _build_info is not None and not built:
        raise ExtensionError(f"ckptguard was built without the libtorch checker ({_build_info.checker_note}); "
                             f"install libtorch (Debian: libtorch-dev; a pip torch has it) and {REINSTALL}")
    import torch

    if built and built.split(".")[:2] != torch.__version__.split(".")[:2]:
        raise ExtensionError(f"the native extension ckptguard._checker was built against libtorch {built}, "
                             f"but this is torch {torch.__version__}; {REINSTALL}")
    try:
        return importlib.import_module("ckptguard._checker")
    except ImportError as e:
        raise ExtensionError(f"the native extension ckptguard._checker is missing or broken ({_reason(e)}); "
                             f"{REINSTALL}") from e


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """Run ``ckptguard ARGS...`` in-process; returns (exit code, stdout, stderr)."""
    return _load_core().run_cli([str(a) for a in args])


def predict_keys(target: str, config: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Predicted state_dict keys of ``FILE::NAME`` built with ``config`` (values are Python
    literal source text, as on the command line). Returns the ``keys --format json`` document.
    Raises ValueError when the target cannot be analysed."""
    return json.loads(_load_core().predict_keys_json(target, list((config or {}).items())))


def predict_keys_many(items: list[tuple[str, Mapping[str, str]]]) -> list[dict[str, Any]]:
    """Predict many ``(FILE::NAME, config)`` targets in one pass; targets in the same project
    share parsed and loaded modules. Each result is the ``keys`` JSON document, or
    ``{"error": message}`` for a target that cannot be analysed."""
    return [json.loads(doc) for doc in _load_core().predict_keys_batch_json([(t, list(c.items())) for t, c in items])]


def _run_json(args: list[str]) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli(args + ["--format", "json"])
    if code == 2:
        raise ValueError(err.strip())
    return code, json.loads(out)


def _config_args(config: Mapping[str, str] | None) -> list[str]:
    return [arg for k, v in (config or {}).items() for arg in ("--config", f"{k}={v}")]


def branches(target: str, config: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Configuration branches of ``FILE::NAME``: the ``branches --format json`` document."""
    return _run_json(["branches", target, *_config_args(config)])[1]


def inspect(path: str) -> dict[str, Any]:
    """A checkpoint's tensors and structure, read without executing it (``inspect`` JSON)."""
    return _run_json(["inspect", path])[1]


def check(path: str, model: str, config: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Whether checkpoint ``path`` loads into ``model`` (``FILE::NAME`` built with ``config``, or
    another checkpoint's path) with ``load_state_dict(strict=True)``: the ``check`` JSON document."""
    return _run_json(["check", path, model, *_config_args(config)])[1]


def _manifest_json(model: Any) -> str:
    """A live module's keys (names, kinds, shapes, dtypes) and module tree (types, versions)."""
    params = {f"{prefix}.{name}" if prefix else name
              for prefix, sub in model.named_modules(remove_duplicate=False)
              for name, p in sub._parameters.items() if p is not None}
    keys = [{"name": k, "kind": "parameter" if k in params else "buffer", "shape": list(v.shape),
             "dtype": str(v.dtype).removeprefix("torch.")} for k, v in model.state_dict().items()]
    modules = [{"path": prefix, "type": type(sub).__name__, "version": getattr(type(sub), "_version", 1)}
               for prefix, sub in model.named_modules(remove_duplicate=False)]
    return json.dumps({"keys": keys, "modules": modules})


def check_model(path: str, model: Any) -> dict[str, Any]:
    """``check`` against a live ``torch.nn.Module`` (its keys, kinds, shapes, dtypes and module
    versions are read from the object; the checkpoint is still never unpickled)."""
    return json.loads(_load_core().check_against_manifest_json(str(path), _manifest_json(model), type(model).__name__))


def simulate_load(keys: list[tuple[str, str, list[int] | None, str | None]], target: str,
                  config: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``load_state_dict(strict=True)`` of a state_dict known by its keys ``(name, kind, shape,
    dtype)`` into ``FILE::NAME`` built with ``config``, statically: the model's own load hooks and
    ``_load_from_state_dict`` overrides (key migrations, ``_version`` upgrades) are interpreted over
    the keys. Returns ``compatible``, ``missing``, ``unexpected``, ``pytorch_error`` and
    ``load_customizations`` (where the model changes how checkpoints load)."""
    checkpoint = json.dumps({"keys": [{"name": n, "kind": k, "shape": s, "dtype": d} for n, k, s, d in keys]})
    return json.loads(_load_core().simulate_load_json(target, list((config or {}).items()), checkpoint))


def check_keys(keys: list[tuple[str, str, list[int] | None, str | None]], model: Any) -> dict[str, Any]:
    """``check`` for a state_dict known only by its keys ``(name, kind, shape, dtype)`` — e.g. a
    golden manifest of an earlier version — loaded into a live module."""
    checkpoint = json.dumps({"keys": [{"name": n, "kind": k, "shape": s, "dtype": d} for n, k, s, d in keys]})
    return json.loads(_load_core().check_manifests_json(checkpoint, _manifest_json(model), type(model).__name__))
