"""The interpreter corpus (tests/corpus/interpreter/*.txt) against real torch.

The GoogleTest suite checks that ckptguard predicts each case's expected keys; this test checks
that those expectations are what torch really produces, and that ckptguard agrees here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

import ckptguard
from ckg_testing import REPO, import_file, torch_keys

CORPUS = REPO / "tests" / "corpus" / "interpreter"


def load_cases():
    cases = []
    for path in sorted(CORPUS.glob("*.txt")):
        current = None
        section = "source"
        for line in path.read_text().splitlines():
            if line.startswith("=== "):
                current = {"file": path.name, "title": line[4:], "source": "", "expected": []}
                cases.append(current)
                section = "source"
            elif current is not None and line.startswith("--- "):
                target, *config = line[4:].split()
                current["target"] = target
                current["config"] = dict(item.split("=", 1) for item in config)
                section = "expected"
            elif current is not None and section == "source":
                current["source"] += line + "\n"
            elif current is not None and line:
                name, kind, rest = line.split(" ", 2)
                shape, dtype = rest.rsplit(" ", 1)
                current["expected"].append((name, kind, ast.literal_eval(shape), dtype))
    return cases


CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c['file']}:{c['title']}" for c in CASES])
def test_corpus_case_is_torch_truth(case, tmp_path: Path):
    src = tmp_path / "model_under_test.py"
    src.write_text(case["source"])
    module = import_file(src)
    kwargs = {k: eval(v, {"torch": torch}) for k, v in case["config"].items()}
    model = getattr(module, case["target"])(**kwargs)
    assert torch_keys(model) == case["expected"]
    doc = ckptguard.predict_keys(f"{src}::{case['target']}", case["config"])
    assert [(k["name"], k["kind"], k["shape"], k["dtype"]) for k in doc["keys"]] == case["expected"]
    assert doc["unresolved"] == []
