"""The torch side of the pytest plugin: import a model class for real, build it with a branch
witness, and read its state_dict. Imported only when a generated test runs.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

import torch

Key = list  # [name, kind, shape, dtype]


def import_class(module: str, import_root: str, name: str) -> type:
    """The class, imported by its dotted module name with its import root on sys.path (pytest's
    `prepend` mode), so that relative and sibling imports inside the project work."""
    if import_root not in sys.path:
        sys.path.insert(0, import_root)
    mod = importlib.import_module(module)
    return getattr(mod, name)


def _namespace(cls: type) -> dict[str, Any]:
    ns = dict(vars(sys.modules[cls.__module__]))
    ns.setdefault("torch", torch)
    ns.setdefault("nn", torch.nn)
    return ns


def arguments(cls: type, config: dict[str, str]) -> dict[str, Any]:
    """Constructor keyword arguments for `config` (`name=literal`, or `param.field=literal` for
    a field of a config-object parameter, set on a deep copy of the parameter's default)."""
    ns = _namespace(cls)
    kwargs: dict[str, Any] = {}
    fields: dict[str, dict[str, Any]] = {}
    for key, source in config.items():
        value = eval(source, ns)  # noqa: S307 - literals from the project's own pyproject / the analyzer
        if "." in key:
            param, attr = key.split(".", 1)
            fields.setdefault(param, {})[attr] = value
        else:
            kwargs[key] = value
    if fields:
        signature = inspect.signature(cls)
        for param, values in fields.items():
            base = kwargs[param] if param in kwargs else signature.parameters[param].default
            obj = copy.deepcopy(base)
            for attr, value in values.items():
                target = obj
                *path, last = attr.split(".")
                for part in path:
                    target = getattr(target, part)
                setattr(target, last, value)
            kwargs[param] = obj
    return kwargs


def call_text(name: str, config: dict[str, str]) -> str:
    return f"{name}({', '.join(f'{k}={v}' for k, v in config.items())})"


class BuildError(Exception):
    """The constructor raised: the message and the innermost project frame (file, line)."""

    def __init__(self, message: str, site: tuple[str, int] | None):
        super().__init__(message)
        self.message, self.site = message, site


def build(cls: type, config: dict[str, str], *, seed: int, project_root: str) -> torch.nn.Module:
    """An instance built with `config` (seeded, so two builds with different seeds differ)."""
    try:
        kwargs = arguments(cls, config)
        torch.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = cls(**kwargs)
    except Exception as e:  # the user's constructor: any exception is a finding
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise BuildError(f"building {call_text(cls.__name__, config)} raised {type(e).__name__}: {first}",
                         _raise_site(e, project_root)) from None
    if not isinstance(model, torch.nn.Module):
        raise BuildError(f"{call_text(cls.__name__, config)} built a {type(model).__name__}, not an nn.Module", None)
    return model


def _raise_site(e: BaseException, project_root: str) -> tuple[str, int] | None:
    frames = traceback.extract_tb(e.__traceback__)
    inside = [f for f in frames if f.filename.startswith(project_root) and "/torch/" not in f.filename]
    frame = (inside or frames[-1:] or [None])[-1]
    return (frame.filename, frame.lineno) if frame else None


def keys(model: torch.nn.Module) -> list[Key]:
    """[name, kind, shape, dtype] of every state_dict entry, in order."""
    params = {f"{prefix}.{name}" if prefix else name
              for prefix, sub in model.named_modules(remove_duplicate=False)
              for name, p in sub._parameters.items() if p is not None}
    return [[k, "parameter" if k in params else "buffer", list(v.shape), str(v.dtype).removeprefix("torch.")]
            for k, v in model.state_dict().items() if isinstance(v, torch.Tensor)]


def save(model: torch.nn.Module, path: Path) -> None:
    torch.save(model.state_dict(), path)


def load_strict(model: torch.nn.Module, path: Path) -> str | None:
    """Load the file into `model` with strict=True; torch's error text, or None."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    return load_state(model, state)


def load_state(model: torch.nn.Module, state: dict) -> str | None:
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        return str(e)
    return None


def verify(path: Path, model: torch.nn.Module) -> dict[str, Any]:
    """Bit-exact native verification of every tensor of the saved file against the model."""
    from ckptguard import checker

    return checker.verify(path, model)
