"""Instantiating a target with a branch witness in real torch (for soundness checks)."""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import warnings
from pathlib import Path

import torch

from ckg_testing import import_file


def load_target(target: str):
    """The class or factory named by FILE::NAME, imported for real (installed packages are
    imported by module name so that their relative imports work)."""
    path, name = target.rsplit("::", 1)
    p = Path(path).resolve()
    for top in ("torchvision", "torchaudio"):
        if f"/{top}/" in str(p):
            rel = p.relative_to(next(q for q in p.parents if q.name == top).parent).with_suffix("")
            module = importlib.import_module(".".join(rel.parts))
            break
    else:
        module = import_file(p)
    obj = module
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def build(target: str, witness: dict[str, str]):
    """Instantiate the target with a witness: `name=literal`, or `param.field=literal` for a
    field of a config-object parameter (set on a copy of the parameter's default)."""
    factory = load_target(target)
    kwargs, fields = {}, {}
    for key, literal in witness.items():
        value = eval(literal, {"torch": torch, "nn": torch.nn})
        if "." in key:
            param, field = key.split(".", 1)
            fields.setdefault(param, {})[field] = value
        else:
            kwargs[key] = value
    signature = inspect.signature(factory)
    for param, values in fields.items():
        obj = copy.deepcopy(signature.parameters[param].default)
        for field, value in values.items():
            setattr(obj, field, value)
        kwargs[param] = obj
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        return factory(**kwargs)


def literal(value) -> str:
    assert ast.literal_eval(repr(value)) == value
    return repr(value)
