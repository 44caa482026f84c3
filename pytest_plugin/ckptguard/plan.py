"""The static test plan: every model class of the configured files with its branches, witnesses
and compatibility matrix from the analyzer, or the reason it cannot be tested.

Making a plan parses source and runs the native analyzer; it never imports torch or the models.
A plan is plain JSON so that pytest-xdist workers can share the controller's.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ckptguard import discover
from ckptguard.config import TABLE, Settings

OK, NEEDS_ARGUMENTS, ANALYZER_ERROR = "ok", "needs-arguments", "analyzer-error"


@dataclass
class ClassPlan:
    key: str                 # "module:Class", the key of [tool.ckptguard.configs]
    name: str
    line: int
    path: str
    nodeid: str              # of the file
    module: str
    import_root: str
    config: dict[str, str]   # base constructor arguments (Python literals)
    status: str              # OK, NEEDS_ARGUMENTS, ANALYZER_ERROR
    reason: str = ""
    missing: list[str] = field(default_factory=list)
    branches: dict[str, Any] | None = None
    checkpoints: list[list[Any]] = field(default_factory=list)  # [[path, config], ...]
    seconds: float = 0.0

    @property
    def target(self) -> str:
        return f"{self.path}::{self.name}"

    @property
    def manifest_name(self) -> str:
        return f"{self.module}.{self.name}.json"


@dataclass
class FilePlan:
    path: str
    nodeid: str
    module: str
    error: str | None
    classes: list[ClassPlan]


@dataclass
class Plan:
    files: list[FilePlan]
    excluded: list[str]      # classes left out by `skip` patterns
    problems: list[str]      # models entries that resolve to nothing
    seconds: float

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        doc = json.loads(text)
        files = [FilePlan(**{**f, "classes": [ClassPlan(**c) for c in f["classes"]]}) for f in doc["files"]]
        return cls(files=files, excluded=doc["excluded"], problems=doc["problems"], seconds=doc["seconds"])


_NEEDS = re.compile(r"needs argument '([A-Za-z_][A-Za-z0-9_]*)'")


def needs_arguments_reason(key: str, name: str, missing: list[str], source: str) -> str:
    names = ", ".join(missing)
    lines = "; ".join(f"{m} = ..." for m in missing)
    return (f"{name} needs {names} (no default): configure {'them' if len(missing) > 1 else 'it'} in {source}: "
            f'[{TABLE}.configs."{key}"] {lines}')


def make_plan(settings: Settings) -> Plan:
    start = time.perf_counter()
    from ckptguard import branches  # the native analyzer; no torch

    files, problems = discover.resolve_models(settings.models, settings.rootdir)
    index = discover.SourceIndex(discover.search_roots(settings.rootdir))
    excluded: list[str] = []
    out: list[FilePlan] = []
    for f in files:
        classes = index.model_classes(f)
        if classes is None:
            out.append(FilePlan(str(f.path), f.nodeid, f.module, f"{f.path}: not valid Python", []))
            continue
        plans: list[ClassPlan] = []
        for c in classes:
            key = f"{f.module}:{c.name}"
            if settings.skipped(f.module, c.name):
                excluded.append(key)
                continue
            config = settings.class_config(f.module, c.name, f.nodeid)
            refs = [[r.path, r.config] for r in settings.class_checkpoints(f.module, c.name, f.nodeid)]
            cp = ClassPlan(key, c.name, c.line, str(f.path), f.nodeid, f.module, str(f.import_root), config,
                           OK, checkpoints=refs)
            missing = [a for a in (c.required or ()) if a not in config]
            t0 = time.perf_counter()
            if missing:
                cp.status, cp.missing = NEEDS_ARGUMENTS, missing
            else:
                try:
                    cp.branches = branches(cp.target, config)
                except ValueError as e:
                    message = str(e)
                    m = _NEEDS.search(message)
                    if m:
                        cp.status, cp.missing = NEEDS_ARGUMENTS, [m.group(1)]
                    else:
                        cp.status = ANALYZER_ERROR
                        cp.reason = f"ckptguard cannot analyse {c.name}: {_relative(message, f)}"
            if cp.status == NEEDS_ARGUMENTS:
                cp.reason = needs_arguments_reason(key, c.name, cp.missing, settings.source)
            cp.seconds = time.perf_counter() - t0
            plans.append(cp)
        out.append(FilePlan(str(f.path), f.nodeid, f.module, None, plans))
    return Plan(out, excluded, problems, time.perf_counter() - start)


def _relative(message: str, f: discover.ModelFile) -> str:
    """The analyzer prefixes messages with the absolute file path: drop it, or shorten it to the
    node id when a line number follows."""
    prefix = str(f.path)
    if message.startswith(prefix + ": "):
        return message[len(prefix) + 2:]
    if message.startswith(prefix + ":"):
        return f.nodeid + message[len(prefix):]
    return message
