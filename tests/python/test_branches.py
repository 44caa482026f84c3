"""`ckptguard branches`: every reported branch is real (its witness builds exactly the predicted
keys in torch) and the compatibility matrix is torch's own load_state_dict error text."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import torch

from branch_truth import build
from ckg_testing import REPO, run_console, torch_keys

TV = Path(torch.__file__).parent.parent / "torchvision" / "models"
TA = Path(torch.__file__).parent.parent / "torchaudio" / "models"

TARGETS = [
    (f"{REPO}/examples/seed_conditional.py::ConditionalModel", []),
    (f"{REPO}/examples/configurable.py::ConfigurableNet", []),
    (f"{REPO}/examples/six_flags.py::SixFlags", []),
    (f"{TV}/googlenet.py::GoogLeNet", ["--config", "init_weights=False", "--config", "num_classes=10"]),
    (f"{TV}/inception.py::Inception3", ["--config", "init_weights=False", "--config", "num_classes=10"]),
    (f"{TV}/squeezenet.py::SqueezeNet", ["--config", "num_classes=10"]),
    # a builder whose structural flags arrive through **kwargs
    (f"{TV}/googlenet.py::googlenet", ["--config", "init_weights=False", "--config", "num_classes=10"]),
    (f"{TV}/mnasnet.py::MNASNet", ["--config", "alpha=0.5"]),
    (f"{TA}/wav2letter.py::Wav2Letter", []),
    (f"{TA}/conv_tasnet.py::ConvTasNet", ["--config", "enc_num_feats=32", "--config", "msk_num_feats=16",
                                           "--config", "msk_num_hidden_feats=32"]),
]


def branches(target, extra):
    result = run_console("branches", target, *extra, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module", params=TARGETS, ids=[t.split("/")[-1] for t, _ in TARGETS])
def enumerated(request):
    target, extra = request.param
    doc = branches(target, extra)
    models = {b["id"]: build(target, b["witness"]) for b in doc["branches"]}
    return doc, models


def test_json_contract(enumerated):
    doc, _ = enumerated
    assert set(doc) >= {"target", "parameters", "branches", "truncated"}
    assert doc["truncated"] is False
    ids = [b["id"] for b in doc["branches"]]
    assert len(ids) == len(set(ids))
    for p in doc["parameters"]:
        assert set(p) == {"name", "default"}
    for b in doc["branches"]:
        assert isinstance(b["condition"], str) and b["condition"]
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in b["witness"].items())


def test_every_branch_witness_builds_the_predicted_keys(enumerated):
    doc, models = enumerated
    for b in doc["branches"]:
        predicted = [(k["name"], k["kind"], k["shape"], k["dtype"]) for k in b["keys"]]
        assert torch_keys(models[b["id"]]) == predicted, f"branch {b['id']} ({b['condition']})"


def test_branches_have_distinct_key_manifests(enumerated):
    doc, _ = enumerated
    manifests = [json.dumps(b["keys"]) for b in doc["branches"]]
    assert len(manifests) == len(set(manifests))


def test_matrix_is_torchs_error_text(enumerated):
    doc, models = enumerated
    by_pair = {(c["from"], c["to"]): c for c in doc["matrix"]}
    ids = [b["id"] for b in doc["branches"]]
    pairs = [(a, b) for a in ids for b in ids if a != b]
    assert len(by_pair) == len(pairs)
    for a, b in pairs:
        try:
            models[b].load_state_dict(models[a].state_dict(), strict=True)
            actual = None
        except RuntimeError as e:
            actual = str(e)
        cell = by_pair[(a, b)]
        assert cell["pytorch_error"] == actual, f"{a} -> {b}"
        assert cell["compatible"] == (actual is None)


def test_branches_text_output_has_matrix():
    result = run_console("branches", f"{REPO}/examples/seed_conditional.py::ConditionalModel")
    assert result.returncode == 0
    assert "compatibility" in result.stdout
    assert 'Missing key(s) in state_dict: "linear3.weight", "linear3.bias".' in result.stdout


def test_required_argument_without_default_is_exit_2():
    result = run_console("branches", f"{TA}/deepspeech.py::DeepSpeech")
    assert result.returncode == 2
    assert "needs argument 'n_feature'" in result.stderr and result.stderr.count("\n") == 1
