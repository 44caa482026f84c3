"""Issue 16's hostile model sources through the real CLI (builders in hostile_sources.py): each
ends within seconds, in bounded memory, with one line naming the file, the line and the limit
(or the Python exception CPython would raise too), or predicts what CPython computes.

benchmarks/hostile_cases.py measures the same cases (time, peak RSS) for the closing note.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

import hostile_sources
from bounded_run import assert_one_line, run_bounded

REPO = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("CKPTGUARD_BIN", REPO / "build" / "bin" / "ckptguard"))

NESTED = "SyntaxError: too deeply nested: more than 1000 levels of syntax (limit max_syntax_depth)"
ALLOC = "(limit max_alloc_bytes)"
# case -> (exit code, text the single stderr line holds (None: no error; for exit 0, a key the
# prediction must hold), CPU seconds allowed)
EXPECTED = {
    "crash: (-2**63) // -1": (0, "fc.weight", 5),
    "crash: (-2**63) % -1": (0, "fc.weight", 5),
    "crash: str() of a self-referential list": (0, "fc.weight", 5),
    "crash: f-string of a self-referential list": (0, "fc.weight", 5),
    "crash: self-referential list as a layer argument": (0, "l.weight", 5),
    "crash: torch.tensor of a self-referential list": (2, "model.py:10: building 'Net' raised RecursionError", 5),
    "crash: 20,000 nested parentheses, keys": (2, "model.py:8: SyntaxError: too many nested parentheses", 5),
    "crash: 20,000 nested parentheses, branches": (2, "model.py:8: SyntaxError: too many nested parentheses", 5),
    "crash: 20,000 nested parentheses, diff": (2, "model.py:8: SyntaxError: too many nested parentheses", 5),
    "crash: 20,000 nested unary minus, keys": (2, "model.py:8: " + NESTED, 5),
    "crash: sum of 20,000 terms, branches": (2, "model.py:8: " + NESTED, 5),
    "crash: 20,000 chained attributes, diff": (2, "model.py:8: " + NESTED, 5),
    "crash: str() of a list nested 100,000 deep": (2, "model.py:11: building 'Net' raised RecursionError", 10),
    "crash: == of two lists nested 100,000 deep": (2, "model.py:13: building 'Net' raised RecursionError", 10),
    "crash: deepcopy of a list nested 100,000 deep": (2, "model.py:12: building 'Net' raised RecursionError", 10),
    "crash: modules nested 100,000 deep": (2, "model.py: walking the modules of 'Net' raised RecursionError", 20),
    "memory: 'x' * 10**10": (2, "model.py:8: analysis of 'Net' stopped: model code allocates more than 1073741824 bytes " + ALLOC, 5),
    "memory: [0]*4 * 2**62": (2, "model.py:8: building 'Net' raised MemoryError: a sequence of more than 1000000 items (limit max_sequence)", 5),
    "memory: l = l + l in a loop": (2, "model.py:10: analysis of 'Net' stopped: " , 10),
    "memory: iterating torch.zeros(10**12)": (2, "model.py:8: analysis of 'Net' stopped: " , 5),
    "memory: 2,000 kept range(10**6)": (2, "model.py:10: analysis of 'Net' stopped: ", 10),
    "value: 1 << 100": (0, "good.weight", 5),
    "value: 2**62 * 4": (0, "good.weight", 5),
    "value: int(1e300)": (0, "good.weight", 5),
    "diff: new version with NUL bytes": (2, "model.py:1: SyntaxError: not a text file (contains NUL bytes)", 5),
    "diff: new version whose constructor raises": (1, None, 5),
    "format: '{0[99999999999999999999]}'": (2, "model.py:8: building 'Net' raised OverflowError", 5),
    "format: width 99999999999": (2, "model.py:8: analysis of 'Net' stopped: model code allocates more than 1073741824 bytes " + ALLOC, 5),
    "memory: ''.join of 10**6 strings of 10**6 bytes": (2, "model.py:9: analysis of 'Net' stopped: model code allocates more than 1073741824 bytes " + ALLOC, 5),
    "time: 2 ** (10**9)": (2, "model.py:8: analysis of 'Net' stopped: an int of more than 65536 bits (limit max_int_bits)", 5),
    "time: int() of a 10**7-digit string": (2, "model.py:8: analysis of 'Net' stopped: an int of more than 65536 bits (limit max_int_bits)", 5),
}

def test_every_case_has_an_expectation():
    assert set(EXPECTED) == set(hostile_sources.CASES)


@pytest.mark.parametrize("name", list(hostile_sources.CASES))
def test_hostile_source_is_bounded(tmp_path, name):
    args = hostile_sources.CASES[name](tmp_path)
    exit_code, text, seconds = EXPECTED[name]
    done, cpu = run_bounded([BINARY, *args], seconds, tmp_path)
    stderr = done.stderr.decode()
    assert done.returncode == exit_code, (done.returncode, stderr)
    assert cpu < seconds, f"{name} took {cpu:.1f} s of CPU"
    if exit_code == 0:
        assert stderr == ""
        assert text in done.stdout.decode()
    elif text is None:
        assert stderr == ""
    else:
        assert_one_line(stderr, text)


@pytest.mark.parametrize("name", [n for n in hostile_sources.CASES if n.startswith("value:")])
def test_value_cases_hold_in_cpython(name, tmp_path):
    """The `good` branch of a value case is the one CPython takes: the prediction is right."""
    source = Path(hostile_sources.CASES[name](tmp_path)[1].split("::")[0])
    condition = re.search(r"if (.*):", (tmp_path / source).read_text()).group(1)
    assert hostile_sources.cpython(f"print({condition})") == "True\n"


def test_constructor_raising_in_the_new_version_is_reported(tmp_path):
    args = hostile_sources.CASES["diff: new version whose constructor raises"](tmp_path)
    done = subprocess.run([str(BINARY), *args], capture_output=True, text=True, cwd=tmp_path)
    assert "CKG110" in done.stdout
    assert "No checkpoint-breaking changes" not in done.stdout


def test_wall_clock_limit_stops_a_long_constructor(tmp_path):
    """max_seconds bounds what the step budget does not: with the step budget out of the way, a
    constructor of 10**12 iterations stops after the wall-clock limit, at its loop's line."""
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        total = 0\n        for i in range(10**6):\n            for j in range(10**6):\n"
        "                total += i\n        self.fc = nn.Linear(2, 2)\n")
    env = dict(os.environ, CKPTGUARD_INTERP_LIMITS=f"max_seconds=1,max_steps={2**62}")
    done = subprocess.run([str(BINARY), "keys", "model.py::Net"], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 2, done
    assert_one_line(done.stderr, "analysis of 'Net' stopped: model code ran longer than 1 s (limit max_seconds)")
    assert re.match(r"model\.py:(8|9): ", done.stderr), done.stderr


@pytest.mark.parametrize("spec", ["max_seconds=0", "max_seconds=2000000", "max_secs=5"])
def test_bad_limit_is_one_line_exit_2(tmp_path, spec):
    (tmp_path / "model.py").write_text("import torch.nn as nn\n\nclass Net(nn.Module):\n    pass\n")
    env = dict(os.environ, CKPTGUARD_INTERP_LIMITS=spec)
    done = subprocess.run([str(BINARY), "keys", "model.py::Net"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 2, done
    assert_one_line(done.stderr, "CKPTGUARD_INTERP_LIMITS")
