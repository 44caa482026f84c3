"""The cross-file edit table of the change analysis: each edit kind of
tests/python/cross_file_project.py applied to a fresh git repository, then `ckptguard diff --base
HEAD` on the work tree and with the edit staged. Prints the finding's code, the models it breaks
and the edited line it points at (tests/python/test_diff_cross_file.py asserts the same, and runs
the real pre-commit tool).

Run: .venv/bin/python benchmarks/cross_file_table.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CKPTGUARD = REPO / ".venv" / "bin" / "ckptguard"
sys.path.insert(0, str(REPO / "tests" / "python"))

import cross_file_project as project  # noqa: E402


def diff(repo: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CKPTGUARD), "diff", "--base", "HEAD", *extra, "--format", "json"], cwd=repo,
                          capture_output=True, text=True)


def main() -> None:
    print("| edit kind | file | code | breaks | edited line | --base HEAD | --staged |")
    print("|---|---|---|---|---|---|---|")
    for kind, rel, old, new, code, _ in project.BREAKING:
        repo = Path(tempfile.mkdtemp(prefix="ckg-xf-"))
        try:
            project.write_project(repo)
            project.apply_edit(repo, rel, old, new)
            work_tree = diff(repo)
            project.git(repo, "add", "-A")
            staged = diff(repo, "--staged")
            finding = next(f for f in json.loads(work_tree.stdout)["findings"] if f["code"] == code)
            print(f"| {kind} | {rel} | {code} | {', '.join(finding['models'])} | "
                  f"{finding['edit']['file']}:{finding['edit']['line']} | exit {work_tree.returncode} | exit {staged.returncode} |")
        finally:
            shutil.rmtree(repo)
    for kind, rel, old, new, _ in project.PRESERVING:
        repo = Path(tempfile.mkdtemp(prefix="ckg-xf-"))
        try:
            project.write_project(repo)
            project.apply_edit(repo, rel, old, new)
            done = diff(repo)
            doc = json.loads(done.stdout)
            print(f"| {kind} (keys preserved) | {rel} | none | {len(doc['findings'])} findings, "
                  f"{len(doc['models_compared'])} model(s) compared | | exit {done.returncode} | |")
        finally:
            shutil.rmtree(repo)


if __name__ == "__main__":
    main()
