"""`ckptguard branches`: every reported branch is real (its witness builds exactly the predicted
keys in torch) and the compatibility matrix is torch's own load_state_dict error text."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import torch

from branch_truth import build, condition_environment, condition_holds
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
        assert set(p) - {"size"} == {"name", "default"}
    for b in doc["branches"]:
        assert isinstance(b["condition"], str) and b["condition"]
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in b["witness"].items())


def test_every_branch_witness_builds_the_predicted_keys(enumerated):
    doc, models = enumerated
    for b in doc["branches"]:
        predicted = [(k["name"], k["kind"], k["shape"], k["dtype"]) for k in b["keys"]]
        assert torch_keys(models[b["id"]]) == predicted, f"branch {b['id']} ({b['condition']})"


def test_every_condition_holds_for_its_witness_only(enumerated):
    """CPython evaluates each condition over the parameters: true for its own witness, false for
    every other branch's."""
    doc, _ = enumerated
    envs = [condition_environment(doc, b["witness"]) for b in doc["branches"]]
    for i, b in enumerate(doc["branches"]):
        assert condition_holds(b["condition"], envs[i]) is True, f"[{i}] {b['condition']} for {b['witness']}"
        for j, env in enumerate(envs):
            if j != i:
                assert condition_holds(b["condition"], env) is False, f"[{i}] {b['condition']} also holds for [{j}]"


def test_comparison_passed_as_an_argument_is_the_condition(tmp_path):
    """`bias=norm == "none"` tested inside Conv2d, then `if norm == "batch"`: the conditions are the
    comparisons (once `not norm and norm == "batch"`, a contradiction)."""
    model = tmp_path / "m.py"
    model.write_text(
        "import torch.nn as nn\n\n\n"
        "class Classifier(nn.Module):\n"
        "    def __init__(self, norm='none'):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 8, 3, bias=norm == 'none')\n"
        "        if norm == 'batch':\n"
        "            self.bn = nn.BatchNorm2d(8)\n")
    doc = branches(f"{model}::Classifier", [])
    conditions = {tuple(b["witness"].items()): b["condition"] for b in doc["branches"]}
    assert conditions[()] == "norm == 'none'"
    assert conditions[(("norm", "'batch'"),)] == "norm == 'batch'"
    other = [c for w, c in conditions.items() if w and w[0][1] != "'batch'"]
    assert other == ["norm not in ('none', 'batch')"]


def test_size_parameters_are_not_branches():
    """ConvTasNet gave 18 branches (msk_num_layers=0..7, msk_num_stacks), all `True`; WaveRNN a
    kernel_size=0 branch. Real torch agrees these are sizes: two values give the same key names
    up to numbered children."""
    conv_tasnet = branches(f"{TA}/conv_tasnet.py::ConvTasNet", [])
    assert len(conv_tasnet["branches"]) == 1
    sizes = {p["name"]: p["size"] for p in conv_tasnet["parameters"] if "size" in p}
    assert sizes == {"msk_num_layers": "count of mask_generator.conv_layers.*",
                     "msk_num_stacks": "count of mask_generator.conv_layers.*"}
    import re

    from torchaudio.models import ConvTasNet

    def numbered(**kw):
        return {re.sub(r"\.\d+\.", ".#.", k) for k in ConvTasNet(**kw).state_dict()}

    assert numbered(msk_num_layers=2) == numbered(msk_num_layers=5)
    wavernn = branches(f"{TA}/wavernn.py::WaveRNN", ["--config", "upsample_scales=[5, 5, 8]", "--config", "n_classes=512",
                                                     "--config", "hop_length=200"])
    assert [b["id"] for b in wavernn["branches"]] == ["default"]
    assert [p["name"] for p in wavernn["parameters"] if "size" in p] == ["kernel_size"]


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
