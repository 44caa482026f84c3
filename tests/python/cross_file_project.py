"""A small model package whose models are built from helpers in other files, and the cross-file
edits the change analysis must follow (shared by the diff, pre-commit and report tests)."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

FILES = {
    "pkg/__init__.py": "",
    "pkg/constants.py": """
        WIDTH = 16
        KERNEL = 3
    """,
    "pkg/config.py": """
        from dataclasses import dataclass


        @dataclass
        class HeadConfig:
            hidden: int = 32
            classes: int = 10
    """,
    "pkg/blocks.py": """
        import torch.nn as nn

        from .norms import make_norm


        def conv_block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.BatchNorm2d(cout), nn.ReLU())


        def deep_block(c):
            return nn.Sequential(nn.Conv2d(c, c, 1), make_norm(c))


        class Residual(nn.Module):
            def __init__(self, c):
                super().__init__()
                self.conv = nn.Conv2d(c, c, 3, padding=1)
                self.act = nn.ReLU()

            def forward(self, x):
                return x + self.act(self.conv(x))
    """,
    "pkg/norms.py": """
        from .norm_impl import batch_norm


        def make_norm(c):
            return batch_norm(c)
    """,
    "pkg/norm_impl.py": """
        import torch.nn as nn


        def batch_norm(c):
            return nn.BatchNorm2d(c)
    """,
    "pkg/base.py": """
        import torch.nn as nn


        class Backbone(nn.Module):
            def __init__(self):
                super().__init__()
                self.stem = nn.Conv2d(3, 8, 3)
    """,
    "pkg/layers/__init__.py": """
        from .v1 import Head
    """,
    "pkg/layers/v1.py": """
        import torch.nn as nn


        class Head(nn.Module):
            def __init__(self, c, n):
                super().__init__()
                self.fc = nn.Linear(c, n)
    """,
    "pkg/layers/v2.py": """
        import torch.nn as nn


        class Head(nn.Module):
            def __init__(self, c, n):
                super().__init__()
                self.proj = nn.Linear(c, c)
                self.fc = nn.Linear(c, n)
    """,
    "pkg/utils.py": """
        def count(xs):
            return len(xs)
    """,
    "pkg/model.py": """
        import torch.nn as nn

        from . import constants
        from .base import Backbone
        from .blocks import Residual, conv_block, deep_block
        from .config import HeadConfig
        from .layers import Head


        class Net(Backbone):
            def __init__(self, cfg=None):
                super().__init__()
                cfg = cfg or HeadConfig()
                self.features = conv_block(8, constants.WIDTH)
                self.deep = deep_block(constants.WIDTH)
                self.res = Residual(constants.WIDTH)
                self.hidden = nn.Linear(constants.WIDTH, cfg.hidden)
                self.head = Head(cfg.hidden, cfg.classes)

            def forward(self, x):
                x = self.deep(self.features(self.stem(x)))
                return self.head(self.hidden(self.res(x).mean((2, 3))))
    """,
}

# (edit kind, file, old text, new text, expected code, the edited line's text)
BREAKING = [
    ("helper-function reorder", "pkg/blocks.py", "nn.BatchNorm2d(cout), nn.ReLU()", "nn.ReLU(), nn.BatchNorm2d(cout)", "CKG103",
     "return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.ReLU(), nn.BatchNorm2d(cout))"),
    ("attribute renamed in a helper class", "pkg/blocks.py", "self.conv = nn.Conv2d(c, c, 3, padding=1)",
     "self.conv1 = nn.Conv2d(c, c, 3, padding=1)", "CKG101", "self.conv1 = nn.Conv2d(c, c, 3, padding=1)"),
    ("base class in another file adds a layer", "pkg/base.py", "self.stem = nn.Conv2d(3, 8, 3)",
     "self.stem = nn.Conv2d(3, 8, 3)\n        self.stem_norm = nn.BatchNorm2d(8)", "CKG105", "self.stem_norm = nn.BatchNorm2d(8)"),
    ("constant changes a width", "pkg/constants.py", "WIDTH = 16", "WIDTH = 24", "CKG201", "WIDTH = 24"),
    ("edit three imports deep", "pkg/norm_impl.py", "return nn.BatchNorm2d(c)", "return nn.GroupNorm(4, c)", "CKG104",
     "return nn.GroupNorm(4, c)"),
    ("re-exported alias", "pkg/layers/__init__.py", "from .v1 import Head", "from .v2 import Head", "CKG105",
     "from .v2 import Head"),
    ("config-dataclass default change", "pkg/config.py", "hidden: int = 32", "hidden: int = 48", "CKG201", "hidden: int = 48"),
    ("bias toggled inside a helper", "pkg/blocks.py", "nn.Conv2d(cin, cout, 3)", "nn.Conv2d(cin, cout, 3, bias=False)", "CKG104",
     "return nn.Sequential(nn.Conv2d(cin, cout, 3, bias=False), nn.BatchNorm2d(cout), nn.ReLU())"),
]

# (edit kind, file, old text, new text, whether Net can reach the file): keys, kinds, shapes and
# dtypes stay the same.
PRESERVING = [
    ("refactored helper", "pkg/blocks.py",
     "    return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.BatchNorm2d(cout), nn.ReLU())",
     "    layers = [nn.Conv2d(cin, cout, kernel_size=3)]\n    layers += [nn.BatchNorm2d(cout), nn.ReLU()]\n    return nn.Sequential(*layers)",
     True),
    ("unrelated utility", "pkg/utils.py", "return len(xs)", "return sum(1 for _ in xs)", False),
    ("new constant", "pkg/constants.py", "KERNEL = 3", "KERNEL = 3\nDROPOUT = 0.1", True),
]


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "HOME": str(repo), "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env, check=True)


def write_project(repo: Path) -> None:
    """The package at its first version, committed."""
    for rel, text in FILES.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "v1")


def apply_edit(repo: Path, rel: str, old: str, new: str) -> int:
    """Edits `rel` and returns the 1-based line where the new text starts."""
    path = repo / rel
    text = path.read_text()
    assert text.count(old) == 1, (rel, old)
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1
