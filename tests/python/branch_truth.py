"""Instantiating a target with a branch witness in real torch (for soundness checks)."""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import types
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


def condition_environment(doc: dict, witness: dict[str, str]) -> dict:
    """The values of a `branches` JSON document's parameters under a witness: the defaults,
    overridden by the witness; `cfg.field` names become attributes of a namespace `cfg`."""
    values = {p["name"]: p["default"] for p in doc["parameters"] if p.get("default") is not None}
    values.update(witness)
    env: dict = {}
    for name, text in values.items():
        try:
            value = eval(text, {})  # literals as ckptguard prints them (reprs of scalars)
        except Exception:
            continue
        if "." in name:
            head, field = name.split(".", 1)
            setattr(env.setdefault(head, types.SimpleNamespace()), field, value)
        else:
            env[name] = value
    return env


def condition_holds(condition: str, env: dict) -> bool | None:
    """CPython's verdict on a branch condition, or None when it is not Python over the parameters."""
    try:
        return bool(eval(condition, {}, dict(env)))
    except Exception:
        return None
