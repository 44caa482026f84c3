"""Collection: one pytest node per model file, made either when pytest walks the file or, for a
run without explicit paths, added to the session so that models outside the test paths (and
installed packages such as torchvision.models) are tested too. Collection never imports torch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ckptguard.config import Settings
from ckptguard.items import items_for
from ckptguard.plan import FilePlan, Plan, make_plan


class Context:
    """Per-session state: settings, the static plan (made once, or received from the xdist
    controller), which files already have nodes, and live state_dict keys already built."""

    def __init__(self, settings: Settings, *, inject: bool, plan: Plan | None = None):
        self.settings = settings
        self.inject = inject
        self._plan = plan
        self._made: set[str] = set()
        self._live: dict[tuple[str, str], list] = {}

    @property
    def plan(self) -> Plan:
        if self._plan is None:
            self._plan = make_plan(self.settings)
        return self._plan

    @property
    def has_plan(self) -> bool:
        return self._plan is not None

    def _files(self) -> dict[str, FilePlan]:
        return {f.path: f for f in self.plan.files if f.classes or f.error}

    def node_for(self, file_path: Path, parent) -> "ModelFile | None":
        """The node for a file pytest walks, when it is a model file without a node yet."""
        key = str(file_path.resolve())
        if key in self._made:
            return None
        fp = self._files().get(key)
        if fp is None:
            return None
        self._made.add(key)
        return ModelFile.from_parent(parent, path=Path(fp.path), file_plan=fp, context=self)

    def remaining_nodes(self, session: pytest.Session) -> list["ModelFile"]:
        """Nodes for every model file not collected otherwise, with explicit node ids (files
        outside the rootdir get ids relative to their import root, e.g. torchvision/models/...)."""
        out = []
        for key, fp in sorted(self._files().items(), key=lambda kv: kv[1].nodeid):
            if key in self._made:
                continue
            self._made.add(key)
            out.append(ModelFile.from_parent(session, path=Path(fp.path), nodeid=fp.nodeid, file_plan=fp, context=self))
        return out

    def remember(self, class_key: str, branch_id: str, keys: list) -> None:
        self._live[(class_key, branch_id)] = keys

    def recall(self, class_key: str, branch_id: str) -> list | None:
        return self._live.get((class_key, branch_id))


class ModelFile(pytest.File):
    def __init__(self, *, file_plan: FilePlan, context: Context, **kw):
        super().__init__(**kw)
        self.file_plan = file_plan
        self.context = context

    def collect(self):
        if self.file_plan.error:
            raise self.CollectError(self.file_plan.error)
        for cls_plan in self.file_plan.classes:
            yield from items_for(self, cls_plan, self.context)
