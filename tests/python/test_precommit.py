"""The hook through the real `pre-commit` tool, in a throwaway repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from ckg_testing import REPO, VENV_BIN

MODEL = textwrap.dedent("""
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(8, 4)
            self.head = nn.Linear(4, 2)
""")

pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is installed by scripts/bootstrap.sh")


def run(cwd: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_pre_commit_blocks_a_breaking_edit_and_passes_a_harmless_one(tmp_path: Path):
    # pre-commit clones the hook repository at a revision: give it this checkout's HEAD, with
    # the hook definition as committed.
    hook_rev = run(REPO, "git", "rev-parse", "HEAD").stdout.strip()
    committed = run(REPO, "git", "show", f"{hook_rev}:.pre-commit-hooks.yaml")
    if committed.returncode != 0:
        pytest.skip(".pre-commit-hooks.yaml is not committed yet")
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", PRE_COMMIT_HOME=str(tmp_path / "cache"),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    repo = tmp_path / "project"
    repo.mkdir()
    (repo / "model.py").write_text(MODEL)
    (repo / ".pre-commit-config.yaml").write_text(textwrap.dedent(f"""
        repos:
        - repo: {REPO}
          rev: {hook_rev}
          hooks:
          - id: ckptguard-diff
    """))
    assert run(repo, "git", "init", "-q", env=env).returncode == 0
    run(repo, "git", "add", ".", env=env)
    assert run(repo, "git", "commit", "-qm", "v1", env=env).returncode == 0
    assert run(repo, "pre-commit", "install", env=env).returncode == 0

    # A harmless edit (comment + forward) commits.
    (repo / "model.py").write_text(MODEL + "\n    def forward(self, x):  # new forward\n        return self.head(self.encoder(x))\n")
    run(repo, "git", "add", "model.py", env=env)
    ok = run(repo, "git", "commit", "-qm", "forward", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    # Renaming a layer is blocked, and the hook says why.
    (repo / "model.py").write_text((repo / "model.py").read_text().replace("self.encoder", "self.enc"))
    run(repo, "git", "add", "model.py", env=env)
    blocked = run(repo, "git", "commit", "-qm", "rename", env=env)
    assert blocked.returncode != 0
    assert "CKG101" in blocked.stdout + blocked.stderr and "encoder" in blocked.stdout + blocked.stderr
