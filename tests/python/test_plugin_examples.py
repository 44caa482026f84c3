"""examples/seed_project: every seed scenario fails a generated test that names the change and
its fix, and applying the printed fixes makes the project pass again."""

from __future__ import annotations

import re
import shutil

import pytest
import torch

from ckg_testing import REPO

pytest_plugins = ["pytester"]

EXAMPLE = REPO / "examples" / "seed_project"

# failing test id -> lines its failure report must contain
EXPECTED_FAILURES = {
    "seeds/bias.py::NoBiasModel[golden]": ["    + linear1.bias  [5] float32   seeds/bias.py:8"],
    "seeds/bias.py::NoBiasModel[checkpoint:../saved/ckpts/bias.pt]": [
        'seeds/bias.py:8: reference checkpoint ../saved/ckpts/bias.pt no longer loads into NoBiasModel()',
        '  Missing key(s) in state_dict: "linear1.bias", "linear2.bias".'],
    "seeds/conditional.py::ConditionalModel[checkpoint:../saved/ckpts/conditional_extra.pt]": [
        '  Unexpected key(s) in state_dict: "linear3.weight", "linear3.bias".',
        '  it loads into ConditionalModel built with use_extra_layer=True: list it as '
        '{ path = "../saved/ckpts/conditional_extra.pt", config = { use_extra_layer = true } }'],
    "seeds/layer_count.py::ModelA[golden]": ["    - linear2.weight  [2, 5] float32",
                                             "    no key remap makes them load (shapes or the set of tensors changed)"],
    "seeds/layer_count.py::ModelA[checkpoint:../saved/ckpts/layer_count.pt]": [
        '  Unexpected key(s) in state_dict: "linear2.weight", "linear2.bias".'],
    "seeds/layer_type.py::ModelC[golden]": ["    - conv1.weight    [16, 3, 3, 3] float32",
                                            "    + linear1.weight  [5, 10] float32   seeds/layer_type.py:8"],
    "seeds/layer_type.py::ModelC[checkpoint:../saved/ckpts/layer_type.pt]": [
        '  Missing key(s) in state_dict: "linear1.weight", "linear1.bias".'],
    "seeds/module_order.py::OrderedMLP[golden]": [
        "    + net.1.weight  [5, 10] float32   seeds/module_order.py:8",
        '      state_dict = {("net.1." + k[6:] if k.startswith("net.0.") else k): v for k, v in state_dict.items()}'],
    "seeds/module_order.py::OrderedMLP[checkpoint:../saved/ckpts/module_order.pt]": [
        "  remap (makes it load):"],
    "seeds/precision.py::ScaledNet[golden]": [
        "    ~ scale  dtype float16 -> float32   seeds/precision.py:10",
        "    checkpoints saved before this change still load with strict=True (torch casts the changed dtypes silently)"],
    "seeds/renamed.py::MyModel[golden]": ["    - fc.weight      [2, 4] float32",
                                          "    + layer1.weight  [2, 4] float32   seeds/renamed.py:9"],
    "seeds/renamed.py::MyModel[checkpoint:../saved/ckpts/renamed.pt]": [
        "  suggestion: 'fc.weight' looks renamed to 'layer1.weight' (same tensor name and shape)"],
    "seeds/resized.py::SimpleModel[golden]": ["    ~ linear.weight  shape [5, 10] -> [6, 10]   seeds/resized.py:8"],
    "seeds/resized.py::SimpleModel[checkpoint:../saved/ckpts/resized.pt]": [
        "  size mismatch for linear.weight: copying a param with shape torch.Size([5, 10]) from checkpoint, "
        "the shape in current model is torch.Size([6, 10])."],
    "seeds/wrapped.py::Classifier[checkpoint:../saved/ckpts/wrapped_dataparallel.pt]": [
        "  suggestion: checkpoint keys carry a 'module.' prefix (DataParallel/DistributedDataParallel): strip it"],
}


@pytest.fixture
def project(pytester, monkeypatch):
    shutil.copytree(EXAMPLE, pytester.path, dirs_exist_ok=True)
    return pytester


def run_in(pytester, monkeypatch, sub: str, *args: str):
    monkeypatch.chdir(pytester.path / sub)
    return pytester.runpytest(*args)


def sections(output: str) -> dict[str, str]:
    """Failure sections by test name (the part of the id after '::')."""
    parts = re.split(r"^_{3,} (.+?) _{3,}$", output, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_saved_project_passes(project, monkeypatch):
    run_in(project, monkeypatch, "saved").assert_outcomes(passed=29)


def test_each_seed_scenario_fails_with_its_cause_and_fix(project, monkeypatch):
    result = run_in(project, monkeypatch, "edited", "-rf")
    result.assert_outcomes(passed=14, failed=len(EXPECTED_FAILURES))
    failed = sorted(line.split(" ")[1] for line in result.outlines if line.startswith("FAILED "))
    assert failed == sorted(EXPECTED_FAILURES)
    found = sections(result.stdout.str())
    for nodeid, lines in EXPECTED_FAILURES.items():
        body = found[nodeid.split("::", 1)[1]].splitlines()
        for line in lines:
            assert line in body, f"{nodeid}: {line!r} not in\n" + "\n".join(body)
    assert "Traceback" not in result.stdout.str()


def printed_fix(section: str) -> str:
    """The remap code printed under "remap (makes it load):", dedented."""
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "remap (makes it load):") + 1
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = next((i for i in range(start, len(lines)) if lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) < indent),
               len(lines))
    return "\n".join(line[indent:] for line in lines[start:end])


def migrate(path, fix: str, out) -> None:
    namespace = {"state_dict": torch.load(path)}
    exec(fix, namespace)  # the snippet as printed
    torch.save(namespace["state_dict"], out)


def test_applying_the_printed_fixes_makes_the_project_pass(project, monkeypatch):
    edited = project.path / "edited"
    found = sections(run_in(project, monkeypatch, "edited").stdout.str())
    pyproject = edited / "pyproject.toml"
    text = pyproject.read_text()
    # seed 000 (conditional): list the checkpoint with the configuration the failure names
    text = text.replace('["../saved/ckpts/conditional_extra.pt"]',
                        '[{ path = "../saved/ckpts/conditional_extra.pt", config = { use_extra_layer = true } }]')
    # renames and reorders (seeds 000, 002) and the DataParallel prefix (seed 003): migrate the
    # checkpoints with the printed remap, keep the new code
    for name, section, ckpt in [("renamed", "MyModel[checkpoint:../saved/ckpts/renamed.pt]", "renamed"),
                                ("module_order", "OrderedMLP[checkpoint:../saved/ckpts/module_order.pt]", "module_order"),
                                ("wrapped", "Classifier[checkpoint:../saved/ckpts/wrapped_dataparallel.pt]",
                                 "wrapped_dataparallel")]:
        migrate(project.path / "saved" / "ckpts" / f"{ckpt}.pt", printed_fix(found[section]),
                edited / f"{name}_migrated.pt")
        text = text.replace(f'"../saved/ckpts/{ckpt}.pt"', f'"{name}_migrated.pt"')
    pyproject.write_text(text)
    # removed layers, changed types and sizes, dropped bias=False (seeds 001, 003, 004): nothing
    # maps the old tensors onto the new code; the fix is to restore it
    for module in ("layer_count", "layer_type", "resized", "bias"):
        shutil.copy(project.path / "saved" / "seeds" / f"{module}.py", edited / "seeds" / f"{module}.py")
    # the accepted changes (order, rename, precision): record them in the golden manifests
    run_in(project, monkeypatch, "edited", "--ckptguard-update").assert_outcomes(passed=29)
    run_in(project, monkeypatch, "edited").assert_outcomes(passed=29)
