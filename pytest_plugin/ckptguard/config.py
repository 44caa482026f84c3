"""Settings of the pytest plugin: `[tool.ckptguard]` in pyproject.toml merged with the
`--ckptguard-*` command-line options.

    [tool.ckptguard]
    models = ["pkg", "src/nets.py"]      # dotted packages/modules or paths, relative to rootdir
    skip = ["pkg.blocks:*", "*:_*"]      # fnmatch patterns over "module:Class"
    manifests = ".ckptguard/manifests"   # golden manifests, relative to rootdir
    golden = true                        # false: no golden items
    strict = false                       # prediction disagreements fail instead of warning

    [tool.ckptguard.configs."pkg.models:Net"]
    in_channels = 3                      # constructor arguments (TOML values become Python literals)
    block = { python = "BasicBlock" }    # Python source, resolved in the model's module

    [tool.ckptguard.checkpoints]
    "pkg.models:Net" = ["ckpts/v1.pt", { path = "ckpts/big.pt", config = { use_extra_layer = true } }]
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TABLE = "tool.ckptguard"
# The plugin's keys, plus those `ckptguard lint` and `ckptguard diff` read from the same table.
_KEYS = {"models", "skip", "manifests", "golden", "strict", "configs", "checkpoints",
         "select", "extend-select", "ignore", "per-file-ignores"}


class SettingsError(Exception):
    """A problem in [tool.ckptguard] or an option: one line naming where."""


@dataclass(frozen=True)
class CheckpointRef:
    """A reference checkpoint that must keep loading: its path as written (relative to rootdir),
    and the constructor arguments of the model it must load into (on top of the class config)."""

    path: str
    config: dict[str, str] = field(default_factory=dict)


@dataclass
class Settings:
    rootdir: Path
    source: str                          # where the settings came from, for messages
    models: list[str]
    skip: list[str] = field(default_factory=list)
    manifests: Path = Path(".ckptguard/manifests")
    golden: bool = True
    strict: bool = False
    update: bool = False
    report: Path | None = None
    configs: dict[str, dict[str, str]] = field(default_factory=dict)
    checkpoints: dict[str, list[CheckpointRef]] = field(default_factory=dict)

    def skipped(self, module: str, name: str) -> bool:
        key = f"{module}:{name}"
        return any(fnmatch.fnmatchcase(key, p) or fnmatch.fnmatchcase(name, p) for p in self.skip)

    def _lookup(self, table: dict, module: str, name: str, relpath: str):
        for key in (f"{module}:{name}", f"{relpath}::{name}", name):
            if key in table:
                return key, table[key]
        return None, None

    def class_config(self, module: str, name: str, relpath: str) -> dict[str, str]:
        return dict(self._lookup(self.configs, module, name, relpath)[1] or {})

    def class_checkpoints(self, module: str, name: str, relpath: str) -> list[CheckpointRef]:
        return list(self._lookup(self.checkpoints, module, name, relpath)[1] or [])


def unknown_class_keys(settings: Settings, classes: list[tuple[str, str, str]]) -> list[str]:
    """Keys of [tool.ckptguard.configs] and [tool.ckptguard.checkpoints] that name no model class
    among `classes` (module, class name, file node id): a typo, or a class renamed in a refactor
    whose reference-checkpoint test would otherwise vanish without a word."""
    known: dict[str, str] = {}  # every spelling of a class -> its module:Name form
    for module, name, relpath in classes:
        for spelling in (f"{module}:{name}", f"{relpath}::{name}", name):
            known.setdefault(spelling, f"{module}:{name}")
    out = []
    for table, entries in (("configs", settings.configs), ("checkpoints", settings.checkpoints)):
        for key in entries:
            if key in known:
                continue
            close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.8)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            out.append(f'[{TABLE}.{table}] "{key}": no model class of that name among the models tested{hint}')
    return out


def read_table(pyproject: Path) -> dict[str, Any] | None:
    """The [tool.ckptguard] table, or None when the file has none."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    if "ckptguard" not in text:  # cheap: most projects never mention us
        return None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"{pyproject}: {e}") from None
    table = doc.get("tool", {}).get("ckptguard")
    if table is not None and not isinstance(table, dict):
        raise SettingsError(f"{pyproject}: [{TABLE}] must be a table")
    return table


def to_literal(value: Any, where: str) -> str:
    """Python literal source for a TOML value; `{python = "expr"}` passes source through."""
    if isinstance(value, dict) and set(value) == {"python"}:
        if not isinstance(value["python"], str):
            raise SettingsError(f"{where}: python = must be a string of Python source")
        return value["python"]
    if isinstance(value, bool) or isinstance(value, int) or isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, list):
        return "[" + ", ".join(to_literal(v, where) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {to_literal(v, where)}" for k, v in value.items()) + "}"
    raise SettingsError(f"{where}: {type(value).__name__} values cannot be constructor arguments")


def _literals(table: Any, where: str) -> dict[str, str]:
    if not isinstance(table, dict):
        raise SettingsError(f"{where} must be a table of constructor arguments")
    return {str(k): to_literal(v, f"{where}.{k}") for k, v in table.items()}


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{where} must be a list of strings")
    return list(value)


def build(rootdir: Path, table: dict[str, Any] | None, source: str, *, models: list[str], skip: list[str],
          strict: bool, update: bool, report: str | None) -> Settings:
    """Settings from the pyproject table (may be None) and command-line values."""
    table = table or {}
    unknown = set(table) - _KEYS
    if unknown:
        raise SettingsError(f"{source}: unknown key(s) in [{TABLE}]: {', '.join(sorted(unknown))} "
                            f"(known: {', '.join(sorted(_KEYS))})")
    settings = Settings(rootdir=rootdir, source=source, models=[])
    settings.models = _strings(table.get("models", []), f"{source}: [{TABLE}] models") + models
    settings.skip = _strings(table.get("skip", []), f"{source}: [{TABLE}] skip") + skip
    manifests = table.get("manifests", ".ckptguard/manifests")
    if not isinstance(manifests, str):
        raise SettingsError(f"{source}: [{TABLE}] manifests must be a path string")
    settings.manifests = (rootdir / manifests).resolve()
    for key in ("golden", "strict"):
        if not isinstance(table.get(key, False), bool):
            raise SettingsError(f"{source}: [{TABLE}] {key} must be true or false")
    settings.golden = table.get("golden", True)
    settings.strict = strict or table.get("strict", False)
    settings.update = update
    settings.report = (Path.cwd() / report).resolve() if report else None
    configs = table.get("configs", {})
    if not isinstance(configs, dict):
        raise SettingsError(f"{source}: [{TABLE}.configs] must be a table of classes")
    settings.configs = {k: _literals(v, f'{source}: [{TABLE}.configs."{k}"]') for k, v in configs.items()}
    checkpoints = table.get("checkpoints", {})
    if not isinstance(checkpoints, dict):
        raise SettingsError(f"{source}: [{TABLE}.checkpoints] must map classes to lists of checkpoints")
    for key, refs in checkpoints.items():
        where = f'{source}: [{TABLE}.checkpoints] "{key}"'
        out = []
        for ref in refs if isinstance(refs, list) else [refs]:
            if isinstance(ref, str):
                out.append(CheckpointRef(ref))
            elif isinstance(ref, dict) and isinstance(ref.get("path"), str) and set(ref) <= {"path", "config"}:
                out.append(CheckpointRef(ref["path"], _literals(ref.get("config", {}), f"{where} config")))
            else:
                raise SettingsError(f'{where}: each entry is a path or {{ path = "...", config = {{ ... }} }}')
        settings.checkpoints[key] = out
    return settings
