"""`ckptguard diff` follows a change to every model it can affect: an edit in a helper, a base
class, a constants or config module, a re-export or three imports deep is reported against the
model that breaks, at the edited line, through `diff --base HEAD`, `--staged` and the real
pre-commit tool. Ground truth: real torch loading a checkpoint of the old code with strict=True."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from ckg_testing import REPO, VENV_BIN, run_console
from cross_file_project import BREAKING, PRESERVING, apply_edit, git, write_project


def diff(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "ckptguard"), "diff", *args], cwd=repo, capture_output=True, text=True, timeout=120)


def build(package_root: Path):
    """A fresh import of pkg.model from `package_root`, and its Net()."""
    for name in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
        del sys.modules[name]
    sys.path.insert(0, str(package_root))
    try:
        import pkg.model

        torch.manual_seed(0)
        return pkg.model.Net()
    finally:
        sys.path.remove(str(package_root))
        for name in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
            del sys.modules[name]


def old_checkpoint_loads(old_root: Path, new_root: Path, tmp_path: Path) -> bool:
    """torch.save of the old model's state_dict, then load_state_dict(strict=True) into the new one."""
    path = tmp_path / "old.pt"
    torch.save(build(old_root).state_dict(), path)
    try:
        build(new_root).load_state_dict(torch.load(path), strict=True)
    except RuntimeError:
        return False
    return True


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    repo, before = tmp_path / "repo", tmp_path / "before"
    repo.mkdir()
    write_project(repo)
    shutil.copytree(repo, before, ignore=shutil.ignore_patterns(".git"))
    return repo, before


def line_of(repo: Path, rel: str, text: str) -> int:
    lines = (repo / rel).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip() == text)


@pytest.mark.parametrize("kind, rel, old, new, code, edited", BREAKING, ids=[b[0] for b in BREAKING])
def test_a_breaking_edit_in_another_file_is_caught_at_the_edited_line(project, tmp_path, kind, rel, old, new, code, edited):
    repo, before = project
    apply_edit(repo, rel, old, new)
    assert not old_checkpoint_loads(before, repo, tmp_path), "the edit really breaks old checkpoints"
    line = line_of(repo, rel, edited)
    for staged in (False, True):
        if staged:
            git(repo, "add", "-A")
        result = diff(repo, "--base", "HEAD", *(["--staged"] if staged else []), "--format", "json")
        assert result.returncode == 1, result.stdout + result.stderr
        findings = json.loads(result.stdout)["findings"]
        assert [f["code"] for f in findings] == [code], findings  # one finding per edit
        finding = findings[0]
        assert (finding["file"], finding["line"]) == (rel, line), finding
        assert "pkg/model.py::Net" in finding["models"]
        assert finding["edit"] == {"file": rel, "line": line}
        assert finding["old_edit"]["file"] == rel


@pytest.mark.parametrize("kind, rel, old, new, reaches_model", PRESERVING, ids=[p[0] for p in PRESERVING])
def test_a_key_preserving_edit_in_another_file_reports_nothing(project, tmp_path, kind, rel, old, new, reaches_model):
    repo, before = project
    apply_edit(repo, rel, old, new)
    assert old_checkpoint_loads(before, repo, tmp_path)
    for staged in (False, True):
        if staged:
            git(repo, "add", "-A")
        result = diff(repo, "--base", "HEAD", *(["--staged"] if staged else []), "--format", "json")
        assert result.returncode == 0, result.stdout + result.stderr
        doc = json.loads(result.stdout)
        assert doc["findings"] == []
        assert ("pkg/model.py::Net" in doc["models_compared"]) == reaches_model


def test_the_report_names_the_model_that_breaks_and_the_line_before_the_edit(project):
    repo, _ = project
    apply_edit(repo, "pkg/norm_impl.py", "return nn.BatchNorm2d(c)", "return nn.GroupNorm(4, c)")
    out = diff(repo).stdout  # the work tree against HEAD is the default
    assert "--> pkg/norm_impl.py:5" in out and "return nn.GroupNorm(4, c)" in out
    assert "= breaks: pkg/model.py::Net" in out and "= before the edit: pkg/norm_impl.py:5" in out


BROKEN = [
    ("syntax error in a helper", "pkg/blocks.py", "def conv_block(cin, cout):", "def conv_block(cin, cout)"),
    ("indentation error in a helper", "pkg/norms.py", "    return batch_norm(c)", "  return batch_norm(c)\n    pass"),
    ("tabs and spaces", "pkg/base.py", "        self.stem = nn.Conv2d(3, 8, 3)", "        self.stem = nn.Conv2d(3, 8, 3)\n\tself.x = 1"),
    ("invalid UTF-8", "pkg/utils.py", "return len(xs)", "return len(xs) + len(\"caf\udce9\")"),
]


@pytest.mark.parametrize("kind, rel, old, new", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_changed_file_that_does_not_compile_blocks(project, kind, rel, old, new):
    repo, _ = project
    path = repo / rel
    path.write_bytes(path.read_text().replace(old, new).encode("utf-8", "surrogateescape"))
    try:
        compile(path.read_bytes(), str(path), "exec")
        pytest.fail("the corpus edit should not compile")
    except SyntaxError as e:
        expected = f"{rel}:{e.lineno}: {type(e).__name__}"
    for staged in (False, True):
        if staged:
            git(repo, "add", "-A")
        result = diff(repo, "--base", "HEAD", *(["--staged"] if staged else []))
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and result.stderr.startswith(expected), result.stderr


def test_a_path_that_does_not_exist_is_exit_2(project):
    repo, _ = project
    result = diff(repo, "--base", "HEAD", "pkg/nope.py")
    assert result.returncode == 2 and result.stderr == "pkg/nope.py: no such file or directory\n"


pre_commit = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is installed by scripts/bootstrap.sh")


@pre_commit
def test_the_pre_commit_hook_blocks_every_cross_file_break_and_passes_the_rest(project, tmp_path):
    repo, _ = project
    hook_rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}", PRE_COMMIT_HOME=str(tmp_path / "cache"),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    (repo / ".pre-commit-config.yaml").write_text(textwrap.dedent(f"""
        repos:
        - repo: local
          hooks:
          - id: ckptguard-diff
            name: ckptguard (checkpoint-breaking model edits)
            entry: ckptguard diff --base HEAD --staged
            language: system
            types: [python]
            require_serial: true
    """))
    run = lambda *a: subprocess.run(list(a), cwd=repo, capture_output=True, text=True, env=env, timeout=300)
    assert run("git", "add", ".pre-commit-config.yaml").returncode == 0
    assert run("git", "commit", "-qm", "hook", "--no-verify").returncode == 0
    assert run("pre-commit", "install").returncode == 0, hook_rev
    for kind, rel, old, new, code, edited in BREAKING:
        apply_edit(repo, rel, old, new)
        run("git", "add", "-A")
        blocked = run("git", "commit", "-qm", kind)
        output = blocked.stdout + blocked.stderr
        assert blocked.returncode != 0, (kind, output)
        assert code in output and f"{rel}:{line_of(repo, rel, edited)}" in output and "pkg/model.py::Net" in output, (kind, output)
        run("git", "reset", "-q", "--hard", "HEAD")
    for kind, rel, old, new, _ in PRESERVING:
        apply_edit(repo, rel, old, new)
        run("git", "add", "-A")
        passed = run("git", "commit", "-qm", kind)
        assert passed.returncode == 0, (kind, passed.stdout + passed.stderr)
