"""`ckptguard check`: agrees with what load_state_dict(strict=True) really does, including the
error text; suggested remaps really make the checkpoint load."""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from branch_truth import build
from ckg_testing import REPO, run_console

COND = f"{REPO}/examples/seed_conditional.py::ConditionalModel"
CONF = f"{REPO}/examples/configurable.py::ConfigurableNet"


def with_prefix(sd, prefix):
    out = OrderedDict((prefix + k, v) for k, v in sd.items())
    out._metadata = OrderedDict((prefix.rstrip(".") + ("." + k if k else ""), v) for k, v in sd._metadata.items())
    return out


def renamed(sd, old, new):
    out = OrderedDict((k.replace(old, new, 1) if k.startswith(old) else k, v) for k, v in sd.items())
    out._metadata = sd._metadata
    return out


def dropped(sd, key):
    out = OrderedDict((k, v) for k, v in sd.items() if k != key)
    out._metadata = OrderedDict((k, {"version": 1}) for k in sd._metadata)  # as saved by old torch
    return out


# (name, target, witness of the model to check against, how to make the checkpoint's object)
SCENARIOS = [
    ("same config", COND, {}, lambda: build(COND, {}).state_dict()),
    ("other branch", COND, {}, lambda: build(COND, {"use_extra_layer": "True"}).state_dict()),
    ("other branch reversed", COND, {"use_extra_layer": "True"}, lambda: build(COND, {}).state_dict()),
    ("DataParallel prefix", COND, {}, lambda: torch.nn.DataParallel(build(COND, {})).state_dict()),
    ("torch.compile prefix", COND, {}, lambda: with_prefix(build(COND, {}).state_dict(), "_orig_mod.")),
    ("renamed layer", COND, {}, lambda: renamed(build(COND, {}).state_dict(), "linear2.", "fc2.")),
    ("nested training checkpoint", COND, {}, lambda: {"epoch": 3, "model_state_dict": build(COND, {}).state_dict(),
                                                      "optimizer_state_dict": torch.optim.Adam(build(COND, {}).parameters()).state_dict()}),
    ("fp16 checkpoint", COND, {}, lambda: build(COND, {}).half().state_dict()),
    ("batchnorm without num_batches_tracked (old torch)", CONF, {}, lambda: dropped(build(CONF, {}).state_dict(), "norm.num_batches_tracked")),
    ("layer norm checkpoint into batch norm model", CONF, {}, lambda: build(CONF, {"norm": "'layer'"}).state_dict()),
    ("bidirectional checkpoint", CONF, {}, lambda: build(CONF, {"bidirectional": "True"}).state_dict()),
]


def model_state(obj):
    for key in ("model_state_dict", "state_dict", "model"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            return obj[key]
    return obj


def check_scenario(path: Path, make, target: str, witness: dict, fmt: str):
    """Saves the scenario's checkpoint to `path` and checks it against `target` built with `witness`."""
    torch.save(make(), path)
    args = ["check", str(path), target, "--format", fmt]
    for k, v in witness.items():
        args += ["--config", f"{k}={v}"]
    result = run_console(*args)
    assert result.returncode in (0, 1), result.stderr
    return result, json.loads(result.stdout)


@pytest.mark.parametrize("name, target, witness, make", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_check_matches_torch(tmp_path: Path, name, target, witness, make):
    path = tmp_path / "ckpt.pt"
    result, doc = check_scenario(path, make, target, witness, "json")

    loaded = model_state(torch.load(path))
    model = build(target, witness)
    try:
        model.load_state_dict(loaded, strict=True)
        actual = None
    except RuntimeError as e:
        actual = str(e)
    assert doc["pytorch_error"] == actual
    assert doc["compatible"] == (actual is None) == (result.returncode == 0)
    model_dtypes = {k: str(v.dtype).removeprefix("torch.") for k, v in model.state_dict().items()}
    assert doc["dtype_mismatch"] == [{"name": k, "checkpoint": str(v.dtype).removeprefix("torch."), "model": model_dtypes[k]}
                                     for k, v in loaded.items() if k in model_dtypes and str(v.dtype).removeprefix("torch.") != model_dtypes[k]]
    if doc["remap"]:
        remapped = OrderedDict((doc["remap"].get(k, k), v) for k, v in loaded.items())
        build(target, witness).load_state_dict(remapped, strict=True)  # the suggested remap really loads
        assert doc["after_remap"]["compatible"] is True


def test_check_names_the_configuration_a_checkpoint_came_from(tmp_path: Path):
    path = tmp_path / "extra.pt"
    torch.save(build(COND, {"use_extra_layer": "True"}).state_dict(), path)
    doc = json.loads(run_console("check", str(path), COND, "--format", "json").stdout)
    assert doc["matching_configs"] == ["--config use_extra_layer=True"]


def test_configuration_given_on_the_command_line_is_explored_too(tmp_path: Path):
    """`--config use_extra_layer=True` with a checkpoint of the default configuration gave
    `matching_configs: []`; torch loads it into the default model."""
    path = tmp_path / "base.pt"
    torch.save(build(COND, {}).state_dict(), path)
    result = run_console("check", str(path), COND, "--config", "use_extra_layer=True", "--format", "json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["matching_configs"] == ["--config use_extra_layer=False"]
    build(COND, {"use_extra_layer": "False"}).load_state_dict(torch.load(path), strict=True)
    no_flags = run_console("check", str(path), COND, "--config", "use_extra_layer=True")
    assert "the checkpoint loads into the model built with:\n    --config use_extra_layer=False" in no_flags.stdout


def test_checkpoint_against_checkpoint(tmp_path: Path):
    a, b = tmp_path / "a.pt", tmp_path / "b.pt"
    torch.save(build(COND, {}).state_dict(), a)
    torch.save(torch.nn.DataParallel(build(COND, {})).state_dict(), b)
    same = run_console("check", str(a), str(a))
    assert same.returncode == 0
    differ = run_console("check", str(b), str(a), "--format", "json")
    assert differ.returncode == 1
    assert json.loads(differ.stdout)["suggestions"][0]["kind"] == "strip-prefix"


@pytest.mark.parametrize("args, fragment", [
    (["check", "/nonexistent.pt", COND], "/nonexistent.pt"),
    (["check"], "missing CKPT"),
    (["check", "{ckpt}", "{ckpt}::Nope"], ""),
    (["check", "{notckpt}", COND], "{notckpt}"),
])
def test_check_bad_input_exit_2(tmp_path: Path, args, fragment):
    ckpt = tmp_path / "ok.pt"
    torch.save(build(COND, {}).state_dict(), ckpt)
    notckpt = tmp_path / "text.pt"
    notckpt.write_text("this is not a checkpoint")
    args = [a.format(ckpt=ckpt, notckpt=notckpt) for a in args]
    result = run_console(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and fragment.format(notckpt=notckpt) in result.stderr


@pytest.mark.parametrize("name, target, witness, make", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_check_model_live_matches_torch(tmp_path: Path, name, target, witness, make):
    import ckptguard

    path = tmp_path / "ckpt.pt"
    torch.save(make(), path)
    model = build(target, witness)
    doc = ckptguard.check_model(str(path), model)
    try:
        build(target, witness).load_state_dict(model_state(torch.load(path)), strict=True)
        actual = None
    except RuntimeError as e:
        actual = str(e)
    assert doc["pytorch_error"] == actual


OPT = f"{REPO}/examples/optimizer_swap.py::Net"


def train_and_save(path, model, optimizer_cls):
    opt = optimizer_cls(model.parameters(), lr=0.1)
    model(torch.randn(4, 2)).sum().backward()
    opt.step()
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)


def optimizer_doc(path, *args):
    result = run_console("check", str(path), OPT, *args, "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)["optimizers"]


def test_optimizer_state_that_fits(tmp_path: Path):
    path = tmp_path / "ok.pt"
    train_and_save(path, build(OPT, {}), torch.optim.Adam)
    code, [opt] = optimizer_doc(path, "--optimizer", "Adam")
    assert code == 0 and opt["compatible"] and opt["family"] == "Adam/AdamW"
    model = build(OPT, {})
    resumed = torch.optim.Adam(model.parameters(), lr=0.1)
    resumed.load_state_dict(torch.load(path)["optimizer"])
    model(torch.randn(4, 2)).sum().backward()
    resumed.step()  # torch agrees: it resumes


def test_optimizer_family_mismatch_is_named(tmp_path: Path):
    path = tmp_path / "adam.pt"
    train_and_save(path, build(OPT, {}), torch.optim.Adam)
    code, [opt] = optimizer_doc(path, "--optimizer", "SGD")
    assert code == 1 and opt["problems"] == ["checkpoint holds Adam/AdamW state; SGD was given"]


OPTIMIZERS_1_13 = ["SGD", "Adam", "AdamW", "NAdam", "RAdam", "Adamax", "RMSprop", "Adagrad", "Adadelta", "ASGD", "Rprop",
                   "LBFGS"]


@pytest.mark.parametrize("name", OPTIMIZERS_1_13)
def test_every_torch_optimizer_is_recognised_under_any_spelling(tmp_path: Path, name):
    """A state saved by each torch.optim class of the torch in use is told apart (RAdam was read as
    Adamax) and fits that class, named plainly, qualified or in lower case (`adam` and
    `torch.optim.AdamW` were mismatches)."""
    path = tmp_path / f"{name}.pt"
    model = build(OPT, {})
    cls = getattr(torch.optim, name)
    opt = cls(model.parameters(), lr=0.1)
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
    for spelling in (name, f"torch.optim.{name}", name.lower()):
        code, [report] = optimizer_doc(path, "--optimizer", spelling)
        assert code == 0 and report["compatible"], (spelling, report)
        assert name in report["family"].split("/")
    cls(build(OPT, {}).parameters(), lr=0.1).load_state_dict(torch.load(path)["optimizer"])  # torch agrees


def test_unknown_optimizer_is_a_usage_error(tmp_path: Path):
    path = tmp_path / "adam.pt"
    train_and_save(path, build(OPT, {}), torch.optim.Adam)
    result = run_console("check", str(path), OPT, "--optimizer", "Adm")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("ckptguard check: --optimizer Adm: not a torch.optim optimizer (did you mean 'Adam'?); one of SGD,")
    assert run_console("check", str(path), OPT, "--optimizer", "Foo").returncode == 2


def test_reordered_parameters_are_caught_where_torch_fails_late(tmp_path: Path):
    path = tmp_path / "adam.pt"
    train_and_save(path, build(OPT, {}), torch.optim.Adam)
    code, [opt] = optimizer_doc(path, "--config", "swap=True")
    assert code == 1 and any("parameters reordered" in p for p in opt["problems"])
    model = build(OPT, {"swap": "True"})
    model.load_state_dict(torch.load(path)["model"])  # the model state loads fine by key ...
    resumed = torch.optim.Adam(model.parameters(), lr=0.1)
    resumed.load_state_dict(torch.load(path)["optimizer"])  # ... and torch accepts the state by position,
    model(torch.randn(4, 2)).sum().backward()
    with pytest.raises(RuntimeError):
        resumed.step()  # until the first step


def test_parameter_count_mismatch(tmp_path: Path):
    path = tmp_path / "adam.pt"
    model = build(OPT, {"extra": "True"})
    train_and_save(path, model, torch.optim.Adam)
    code, [opt] = optimizer_doc(path)
    assert code == 1 and "the model has 4 parameters" in opt["problems"][0]
    with pytest.raises(ValueError):
        torch.optim.Adam(build(OPT, {}).parameters()).load_state_dict(torch.load(path)["optimizer"])


# ---- findings as diagnostics (sarif, github, markdown, html) ----------------------------------

from test_lint import sarif_tools  # noqa: E402,F401  (the session fixture: schema + Sarif.Multitool)


def torch_fills_in(ckpt: dict, key: str) -> bool:
    """_NormBase adds num_batches_tracked itself to checkpoints saved before it existed (version < 2)."""
    version = (getattr(ckpt, "_metadata", {}).get(key.rpartition(".")[0]) or {}).get("version")
    return key.endswith("num_batches_tracked") and (version is None or version < 2)


def torch_findings(ckpt: dict, model: torch.nn.Module) -> dict[str, set[str]]:
    """What load_state_dict objects to, by ckptguard code, from the real state dicts."""
    own = model.state_dict()
    return {
        "CKG501": {k for k in own if k not in ckpt and not torch_fills_in(ckpt, k)},
        "CKG502": {k for k in ckpt if k not in own},
        "CKG503": {k for k, v in ckpt.items() if k in own and v.shape != own[k].shape},
        "CKG504": {k for k, v in ckpt.items() if k in own and v.shape == own[k].shape and v.dtype != own[k].dtype},
    }


@pytest.mark.parametrize("name, target, witness, make", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_check_sarif_findings_match_torch(tmp_path: Path, sarif_tools, name, target, witness, make):
    import jsonschema

    path = tmp_path / "ckpt.pt"
    result, doc = check_scenario(path, make, target, witness, "sarif")
    schema = json.loads((sarif_tools / "sarif-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(doc)

    ckpt, model = model_state(torch.load(path)), build(target, witness)
    truth = torch_findings(ckpt, model)
    found = {code: set() for code in truth}
    for r in doc["runs"][0]["results"]:
        found[r["ruleId"]] |= set(r["properties"]["keys"])
        found["CKG501"] |= set(r["properties"].get("remap", {}).values())  # a remap accounts for both sides
    assert found == truth
    layers = [r["message"]["text"].split("`")[1] for r in doc["runs"][0]["results"] if "remap" not in r["properties"]]
    assert len(layers) == len(set(layers)), "one finding per layer, not per tensor"
    try:
        model.load_state_dict(ckpt, strict=True)
        raises = False
    except RuntimeError:
        raises = True
    assert raises == any(found[c] for c in ("CKG501", "CKG502", "CKG503")) == (result.returncode == 1)


def test_check_findings_point_at_the_layer_and_the_class(tmp_path: Path):
    path = tmp_path / "extra.pt"
    torch.save(build(COND, {"use_extra_layer": "True"}).state_dict(), path)
    result = run_console("check", str(path), COND, "--format", "github")
    assert result.returncode == 1, result.stderr
    lines = (REPO / "examples/seed_conditional.py").read_text().splitlines()
    linear2 = 1 + next(i for i, s in enumerate(lines) if "self.linear2 = nn.Linear(5, 2)" in s)
    cls = 1 + next(i for i, s in enumerate(lines) if s.startswith("class ConditionalModel"))
    unexpected, resized = result.stdout.splitlines()  # one finding per layer, by line
    assert "CKG502" in unexpected and f"line={cls}," in unexpected and "`linear3` (weight, bias)" in unexpected
    assert "CKG503" in resized and f"line={linear2}," in resized and "weight [3, 5] vs [2, 5], bias [3] vs [2]" in resized


def test_check_markdown_and_html(tmp_path: Path):
    path = tmp_path / "extra.pt"
    torch.save(build(COND, {"use_extra_layer": "True"}).state_dict(), path)
    md = run_console("check", str(path), COND, "--format", "markdown").stdout
    assert md.startswith("## ckptguard check\n") and "`CKG503`" in md and "`linear2` has other shapes" in md
    page = run_console("check", str(path), COND, "--format", "html").stdout
    assert page.lstrip().startswith("<!DOCTYPE html>") and "CKG502" in page and "<script" not in page


def test_check_reports_optimizer_problems_as_findings(tmp_path: Path):
    path = tmp_path / "adam.pt"
    train_and_save(path, build(OPT, {}), torch.optim.Adam)
    result = run_console("check", str(path), OPT, "--optimizer", "SGD", "--format", "github")
    assert result.returncode == 1, result.stderr
    [annotation] = result.stdout.splitlines()
    assert "CKG505" in annotation and "checkpoint holds Adam/AdamW state; SGD was given" in annotation


def test_check_findings_on_torchvision_resnet(tmp_path: Path):
    import torchvision

    resnet = Path(torchvision.models.resnet.__file__)
    small, wrapped = tmp_path / "r18.pt", tmp_path / "r18_dp.pt"
    torch.save(torchvision.models.resnet18().state_dict(), small)
    torch.save(torch.nn.DataParallel(torchvision.models.resnet18()).state_dict(), wrapped)

    # A DataParallel checkpoint is one finding whose remap really loads.
    doc = json.loads(run_console("check", str(wrapped), f"{resnet}::resnet18", "--format", "sarif").stdout)
    [only] = doc["runs"][0]["results"]
    assert only["ruleId"] == "CKG502"
    remap = only["properties"]["remap"]
    ckpt = torch.load(wrapped)
    torchvision.models.resnet18().load_state_dict({remap.get(k, k): v for k, v in ckpt.items()}, strict=True)

    # resnet18 weights into resnet34: one finding per missing residual block, covering every missing key.
    doc = json.loads(run_console("check", str(small), f"{resnet}::resnet34", "--format", "sarif").stdout)
    missing = set(torchvision.models.resnet34().load_state_dict(torch.load(small), strict=False).missing_keys)
    blocks = {".".join(k.split(".")[:2]) for k in missing}
    results = doc["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"CKG501"}
    assert sorted(r["message"]["text"].split("`")[1] for r in results) == sorted(blocks)
    assert set().union(*(r["properties"]["keys"] for r in results)) == missing
