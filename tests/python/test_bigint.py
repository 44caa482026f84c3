"""Python int arithmetic past int64 in the interpreter equals CPython's (/usr/bin/python3), on
random operands: the small-int fast path, the bignum, and the boundary between them."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from hypothesis import given, settings, strategies as st

from ckptguard import _core

OPERATORS = ["+", "-", "*", "//", "%", "&", "|", "^", "<", "==", ">="]
# around the int64 boundary, and well past it
EDGES = [0, 1, -1, 2**31, 2**32 - 1, 2**63 - 1, -(2**63), 2**63, 2**64, -(2**64) - 1, 10**30, -(10**30)]
INTS = st.one_of(st.sampled_from(EDGES), st.integers(min_value=-(2**200), max_value=2**200),
                 st.integers(min_value=-(2**70), max_value=2**70))


def both(lines: list[str]) -> tuple[str, str]:
    source = "".join(f"print({line})\n" for line in lines)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "snippet.py"
        script.write_text(source)
        expected = subprocess.run(["/usr/bin/python3", str(script)], capture_output=True, text=True, check=True).stdout
        got, error = _core.run_script(str(script))
    assert error == ""
    return expected, got


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(INTS, st.sampled_from(OPERATORS), INTS), min_size=20, max_size=20))
def test_binary_operators_match_cpython(cases):
    lines = [f"({a}) {op} ({b})" for a, op, b in cases if not (op in ("//", "%") and b == 0)]
    expected, got = both(lines)
    assert got == expected


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(INTS, st.integers(min_value=0, max_value=300)), min_size=10, max_size=10))
def test_shifts_and_powers_match_cpython(cases):
    lines = []
    for a, n in cases:
        lines += [f"({a}) << {n}", f"({a}) >> {n}", f"({a} % 1000) ** {n % 40}", f"~({a})", f"-({a})", f"abs({a})"]
    expected, got = both(lines)
    assert got == expected


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False), INTS), min_size=10, max_size=10))
def test_int_float_conversions_match_cpython(values):
    lines = []
    for v in values:
        if isinstance(v, float):
            lines += [f"int({v!r})"]
        elif abs(v) < 2**1000:
            lines += [f"float({v})", f"({v}) == float({v})", f"str({v})"]
    expected, got = both(lines)
    assert got == expected
