"""A synthetic monorepo for the hook's latency: N model files that all build their layers with one
shared helper module, committed to git.

Run: python3 benchmarks/monorepo.py DEST [--models 10000]
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

HELPER = '''import torch.nn as nn


def conv_bn(cin, cout, k=3):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU())
'''

MODEL = '''import torch.nn as nn

from ..shared import conv_bn


class Model{i}(nn.Module):
    def __init__(self, num_classes={classes}):
        super().__init__()
        self.stem = conv_bn(3, {width})
        self.body = nn.Sequential(conv_bn({width}, {width2}), conv_bn({width2}, {width2}))
        self.head = nn.Linear({width2}, num_classes)
'''


def generate(dest: Path, models: int) -> None:
    pkg = dest / "zoo"
    (pkg / "models").mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "models" / "__init__.py").write_text("")
    (pkg / "shared.py").write_text(HELPER)
    for i in range(models):
        width = 8 + i % 24
        (pkg / "models" / f"m{i:05d}.py").write_text(MODEL.format(i=i, classes=10 + i % 7, width=width, width2=2 * width))
    env = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@b",
           "PATH": "/usr/bin:/bin", "HOME": str(dest)}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "models"]):
        subprocess.run(["git", *args], cwd=dest, check=True, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--models", type=int, default=10_000)
    args = parser.parse_args()
    args.dest.mkdir(parents=True, exist_ok=True)
    generate(args.dest, args.models)


if __name__ == "__main__":
    main()
