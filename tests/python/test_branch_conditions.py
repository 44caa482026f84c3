"""Every torchvision and torchaudio builder's branches: CPython evaluates each branch's condition
over the constructor's parameters, and it holds for the branch's own witness and for no other
branch's (benchmarks/branch_conditions.py prints the same as a table)."""

from __future__ import annotations

import sys

import pytest

from ckg_testing import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

import branch_conditions  # noqa: E402

TARGETS = branch_conditions.targets()


@pytest.mark.parametrize("target, config", TARGETS, ids=[t.split("/")[-1] for t, _ in TARGETS])
def test_condition_holds_for_its_witness_only(target, config):
    row = branch_conditions.check(target, config)
    if "error" in row:
        # SSD's builders size their heads by a forward pass of the backbone: refused, not guessed.
        assert "forward passes are not interpreted" in row["error"][0], row["error"]
        return
    assert row["wrong"] == [] and row["opaque"] == [], row
