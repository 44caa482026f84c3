"""ckptguard: make PyTorch checkpoint breakage impossible to miss.

Importing this package loads neither torch nor libtorch: the static analysis lives in the
``ckptguard._core`` extension; the libtorch value checker (``ckptguard.checker``) is imported
only when used.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

__version__ = "0.1.0"
__all__ = ["predict_keys", "predict_keys_many", "run_cli", "__version__"]


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """Run ``ckptguard ARGS...`` in-process; returns (exit code, stdout, stderr)."""
    from ckptguard import _core

    return _core.run_cli([str(a) for a in args])


def predict_keys(target: str, config: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Predicted state_dict keys of ``FILE::NAME`` built with ``config`` (values are Python
    literal source text, as on the command line). Returns the ``keys --format json`` document.
    Raises ValueError when the target cannot be analysed."""
    from ckptguard import _core

    return json.loads(_core.predict_keys_json(target, list((config or {}).items())))


def predict_keys_many(items: list[tuple[str, Mapping[str, str]]]) -> list[dict[str, Any]]:
    """Predict many ``(FILE::NAME, config)`` targets in one pass; targets in the same project
    share parsed and loaded modules. Each result is the ``keys`` JSON document, or
    ``{"error": message}`` for a target that cannot be analysed."""
    from ckptguard import _core

    return [json.loads(doc) for doc in _core.predict_keys_batch_json([(t, list(c.items())) for t, c in items])]
