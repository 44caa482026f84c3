"""A catalogue predictor backed by ckptguard's interpreter: writes a one-line factory for the
layer and predicts its keys statically, so the property tests cover the C++ interpreter and the
embedded catalogue together."""

from __future__ import annotations

import tempfile
from pathlib import Path

import ckptguard
from catalogue_shim import DType, ModuleArg, TensorArg

_DIR = Path(tempfile.mkdtemp(prefix="ckg_catalogue_"))


def to_source(value) -> str:
    if isinstance(value, DType):
        return f"torch.{value.name}"
    if isinstance(value, TensorArg):
        return f"torch.zeros({tuple(value.shape)!r}, dtype=torch.{value.dtype})"
    if isinstance(value, ModuleArg):
        return f"nn.{value.name}({call_args(value.args, value.kwargs)})"
    if isinstance(value, tuple):
        return "(" + "".join(to_source(v) + ", " for v in value) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(to_source(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {to_source(v)}" for k, v in value.items()) + "}"
    return repr(value)


def call_args(args, kwargs) -> str:
    return ", ".join([to_source(a) for a in args] + [f"{k}={to_source(v)}" for k, v in kwargs.items()])


class UnresolvedPrediction(Exception):
    """The interpreter could not tell (never taken for an invalid configuration)."""


def predict_with_interpreter(name, args, kwargs):
    src = _DIR / "layer_under_test.py"
    src.write_text(f"import torch\nimport torch.nn as nn\n\ndef build():\n    return nn.{name}({call_args(args, kwargs)})\n")
    doc = ckptguard.predict_keys(f"{src}::build")
    if doc["unresolved"]:
        raise UnresolvedPrediction(f"unresolved: {doc['unresolved']}")
    return [(k["name"], k["kind"], None if k["shape"] is None else tuple(k["shape"]), k["dtype"]) for k in doc["keys"]]
