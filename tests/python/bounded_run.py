"""Running the CLI on a hostile input the way the hostile-input tests bound it: an address-space
cap, a wall-clock timeout that only catches hangs, and the CPU time the run took (the bound is on
the work an input can cause; a loaded machine stretches wall time without changing it)."""

from __future__ import annotations

import resource
import subprocess

MEMORY_CAP = 3 << 30  # address space; the default limits keep every case far below it


def _cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_bounded(argv: list, seconds: float, cwd) -> tuple[subprocess.CompletedProcess, float]:
    """(the finished run, its CPU seconds); it may take 20 times `seconds` of wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([str(a) for a in argv], capture_output=True, timeout=seconds * 20,
                          preexec_fn=_cap_memory, cwd=cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return done, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def assert_one_line(stderr: str, text: str) -> None:
    """The error is one line that holds `text`, never an internal error."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert text in lines[0], lines[0]
    assert "internal error" not in lines[0]
