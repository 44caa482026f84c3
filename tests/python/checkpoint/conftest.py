"""Fixtures for the `ckptguard inspect` tests.

Run with the system interpreter (the one with torch 1.13):
    /usr/bin/python3 -m pytest -q tests/python/checkpoint
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # bounded_run
from inspect_support import BINARY, inspect_report, run_cli  # noqa: E402


@pytest.fixture(scope="session")
def cli():
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is not built")
    return run_cli


@pytest.fixture
def inspect_json(cli):
    return inspect_report
