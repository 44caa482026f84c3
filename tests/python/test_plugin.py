"""The pytest plugin on the sample project (tests/sample_project) and small generated projects:
generated ids, pass/skip/fail behaviour, golden manifests, reference checkpoints, options,
pytest-xdist, and that collection stays static (no torch)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch  # imported before in-process pytester runs, which restore sys.modules afterwards

from ckg_testing import REPO

pytest_plugins = ["pytester"]

SAMPLE = REPO / "tests" / "sample_project"

EXPECTED_IDS = [
    "shop/blocks.py::Residual[default]",
    "shop/blocks.py::Residual[use_bn=False]",
    "shop/blocks.py::Residual[cross-branch]",
    "shop/blocks.py::Residual[golden]",
    "shop/models.py::ConditionalNet[default]",
    "shop/models.py::ConditionalNet[use_extra_layer=True]",
    "shop/models.py::ConditionalNet[cross-branch]",
    "shop/models.py::ConditionalNet[golden]",
    "shop/models.py::ConditionalNet[checkpoint:ckpts/conditional_v1.pt]",
    "shop/models.py::StackNet[default]",
    "shop/models.py::StackNet[norm='group']",
    "shop/models.py::StackNet[norm='none']",
    "shop/models.py::StackNet[cross-branch]",
    "shop/models.py::StackNet[golden]",
    "shop/models.py::ConfigNet[default]",
    "shop/models.py::ConfigNet[cfg.use_attention=True]",
    "shop/models.py::ConfigNet[cross-branch]",
    "shop/models.py::ConfigNet[golden]",
    "shop/models.py::Encoder[default]",
    "shop/models.py::Encoder[golden]",
    "shop/models.py::Adapter",
]


@pytest.fixture
def sample(pytester):
    shutil.copytree(SAMPLE, pytester.path, dirs_exist_ok=True)
    return pytester


def globs(patterns: list[str]) -> list[str]:
    """fnmatch patterns with literal brackets (test ids and TOML tables are full of them)."""
    return [p.replace("[", "[[]") for p in patterns]


def collected_ids(result) -> list[str]:
    return [line for line in result.outlines if "::" in line]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    return env


# -- the sample project ----------------------------------------------------------------------

def test_sample_project_generates_exactly_these_ids(sample):
    result = sample.runpytest("--collect-only", "-q")
    assert collected_ids(result) == EXPECTED_IDS


def test_sample_project_all_pass_and_the_unbuildable_class_is_skipped_with_the_config_line(sample):
    result = sample.runpytest("-rs")
    result.assert_outcomes(passed=20, skipped=1)
    result.stdout.fnmatch_lines(globs([
        "SKIPPED [1] shop/models.py:59: Adapter needs backbone (no default): configure it in pyproject.toml: "
        '[tool.ckptguard.configs."shop.models:Adapter"] backbone = ...',
    ]))
    result.stdout.fnmatch_lines(globs(["*6 model classes in 2 files*5 tested with 10 branches, 1 skipped*"]))


def test_verbose_lists_each_branch_and_the_compatibility_matrix(sample):
    result = sample.runpytest("-v")
    for nodeid in EXPECTED_IDS[:-1]:
        result.stdout.fnmatch_lines(globs([f"{nodeid} PASSED*"]))
    result.stdout.fnmatch_lines(globs([
        "shop/models.py::ConditionalNet (row: saved as, column: loaded into)",
        "*default*use_extra_layer=True",
        "*default*-*2 missing, 2 size",
        "*use_extra_layer=True*2 unexpected, 2 size*-",
    ]))


def test_renamed_attribute_fails_golden_naming_old_and_new_keys_and_the_remap(sample):
    edit(sample.path / "shop" / "models.py", "self.linear2", "self.fc2")
    result = sample.runpytest()
    result.assert_outcomes(passed=18, failed=2, skipped=1)
    out = result.stdout.str()
    golden_section = out[out.index("ConditionalNet[golden] _"):]
    for line in [
        "shop/models.py:17: state_dict of ConditionalNet differs from its golden manifest (2 branches changed)",
        "  manifest: .ckptguard/manifests/shop.models.ConditionalNet.json",
        "  ConditionalNet[default]:",
        "    - linear2.weight  [2, 5] float32",
        "    + fc2.weight      [2, 5] float32   shop/models.py:17",
        '      Missing key(s) in state_dict: "fc2.weight", "fc2.bias".',
        '      Unexpected key(s) in state_dict: "linear2.weight", "linear2.bias".',
        "    suggested remap (makes them load):",
        '      state_dict = {("fc2." + k[8:] if k.startswith("linear2.") else k): v for k, v in state_dict.items()}',
    ]:
        assert line in golden_section.splitlines(), line
    assert "Traceback" not in out
    # the reference checkpoint saved before the rename fails too, with the same remap
    result.stdout.fnmatch_lines(globs([
        "*ConditionalNet[checkpoint:ckpts/conditional_v1.pt]*",
        "shop/models.py:17: reference checkpoint ckpts/conditional_v1.pt no longer loads into ConditionalNet()",
        "*remap (makes it load):*",
    ]))
    # accepting the change rewrites the manifest; the old checkpoint still does not load
    sample.runpytest("--ckptguard-update").assert_outcomes(passed=19, failed=1, skipped=1)
    manifest = (sample.path / ".ckptguard/manifests/shop.models.ConditionalNet.json").read_text()
    assert '["fc2.weight", "parameter", [2, 5], "float32"]' in manifest
    sample.runpytest("-k", "golden").assert_outcomes(passed=5, deselected=16)


def test_keyword_selection_and_exitfirst(sample):
    result = sample.runpytest("-k", "use_extra_layer", "--collect-only", "-q")
    assert collected_ids(result) == ["shop/models.py::ConditionalNet[use_extra_layer=True]"]
    edit(sample.path / "shop" / "blocks.py", "self.conv =", "self.conv0 =")
    result = sample.runpytest("-x")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(globs(["FAILED shop/blocks.py::Residual[golden] - state_dict of Residual differs*"]))


def test_markers_select_generated_tests(sample):
    (sample.path / "test_unit.py").write_text("def test_plain():\n    pass\n")
    result = sample.runpytest("-m", "not ckptguard")
    result.assert_outcomes(passed=1, deselected=21)


def test_missing_manifest_fails_then_update_writes_it(sample):
    manifests = sample.path / ".ckptguard" / "manifests"
    shutil.rmtree(manifests)
    result = sample.runpytest("-k", "StackNet")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(globs([
        "shop/models.py:27: no golden manifest for StackNet: .ckptguard/manifests/shop.models.StackNet.json",
        "  record it with: pytest --ckptguard-update  (then review and commit the file)",
    ]))
    sample.runpytest("--ckptguard-update").assert_outcomes(passed=20, skipped=1)
    assert sorted(p.name for p in manifests.iterdir()) == sorted(p.name for p in (SAMPLE / ".ckptguard/manifests").iterdir())
    for p in manifests.iterdir():  # deterministic: identical to the committed ones
        assert p.read_text() == (SAMPLE / ".ckptguard/manifests" / p.name).read_text()


def test_unused_manifest_is_reported_and_removed_by_update(sample):
    stale = sample.path / ".ckptguard" / "manifests" / "shop.models.Gone.json"
    stale.write_text("{}")
    sample.runpytest().stdout.fnmatch_lines(globs(["unused golden manifests*shop.models.Gone.json"]))
    sample.runpytest("--ckptguard-update").stdout.fnmatch_lines(globs(["golden manifests removed*shop.models.Gone.json"]))
    assert not stale.exists()


def test_json_report_has_classes_skip_reasons_and_matrices(sample):
    sample.runpytest("--ckptguard-report=out/report.json").assert_outcomes(passed=20, skipped=1)
    doc = json.loads((sample.path / "out" / "report.json").read_text())
    by_class = {c["class"]: c for c in doc["classes"]}
    assert by_class["shop.models:Adapter"]["status"] == "needs-arguments"
    assert by_class["shop.models:Adapter"]["missing"] == ["backbone"]
    assert by_class["shop.models:StackNet"]["branches"] == ["default", "norm='group'", "norm='none'"]
    matrix = next(m for m in doc["matrices"] if m["class"] == "shop.models:ConditionalNet")
    assert {(p["from"], p["to"], p["compatible"]) for p in matrix["pairs"]} == {
        ("default", "use_extra_layer=True", False), ("use_extra_layer=True", "default", False)}
    assert {t["nodeid"] for t in doc["tests"]} == set(EXPECTED_IDS)


def test_reference_checkpoint_from_another_branch_names_the_configuration(sample):
    sys.path.insert(0, str(sample.path))
    try:
        from shop.models import ConditionalNet
        torch.save(ConditionalNet(use_extra_layer=True).state_dict(), sample.path / "ckpts" / "extra.pt")
    finally:
        sys.path.remove(str(sample.path))
        for name in [m for m in sys.modules if m == "shop" or m.startswith("shop.")]:
            del sys.modules[name]
    pyproject = sample.path / "pyproject.toml"
    edit(pyproject, '["ckpts/conditional_v1.pt"]', '["ckpts/conditional_v1.pt", "ckpts/extra.pt"]')
    result = sample.runpytest("-k", "checkpoint")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(globs([
        "shop/models.py:*: reference checkpoint ckpts/extra.pt no longer loads into ConditionalNet()",
        '  Unexpected key(s) in state_dict: "linear3.weight", "linear3.bias".',
        "  size mismatch for linear2.weight: *",
        '  it loads into ConditionalNet built with use_extra_layer=True: list it as '
        '{ path = "ckpts/extra.pt", config = { use_extra_layer = true } }',
    ]))
    edit(pyproject, '"ckpts/extra.pt"', '{ path = "ckpts/extra.pt", config = { use_extra_layer = true } }')
    sample.runpytest("-k", "checkpoint").assert_outcomes(passed=2)


@pytest.mark.skipif(shutil.which("true") is None, reason="needs a POSIX shell environment")
def test_pytest_xdist_runs_the_same_tests(sample):
    pytest.importorskip("xdist")
    edit(sample.path / "shop" / "models.py", "self.linear2", "self.fc2")
    result = sample.runpytest_subprocess("-n", "2", "-p", "no:randomly")
    result.assert_outcomes(passed=18, failed=2, skipped=1)
    result.stdout.fnmatch_lines(globs(["*compatibility matrices: 4 classes, 12 branch pairs*"]))


# -- small generated projects -----------------------------------------------------------------

def make_project(pytester, source: str, pyproject: str = "") -> None:
    pytester.makepyprojecttoml(textwrap.dedent("""
        [tool.pytest.ini_options]
        addopts = "-p no:cacheprovider"
        [tool.ckptguard]
        models = ["nets.py"]
        golden = false
    """) + textwrap.dedent(pyproject))
    (pytester.path / "nets.py").write_text(textwrap.dedent(source))


UNFOLLOWED = """
    import json
    import torch.nn as nn

    class Dynamic(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            for name in sorted(json.loads('["extra"]')):
                self.add_module(name, nn.Linear(2, 2))
"""


def test_prediction_disagreement_is_a_warning_by_default_and_a_failure_under_strict(pytester):
    make_project(pytester, UNFOLLOWED)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(globs([
        "*/nets.py:9: PredictionWarning: ckptguard's prediction for Dynamic[default] disagrees with the live model",
        "    not predicted: extra.weight  [2, 2] float32",
        "    not predicted: extra.bias  [2] float32",
        "    the analyzer could not follow nets.py:9: for-loop over an unresolved iterable: json.loads is outside the project",
        "    for name in sorted(json.loads('[\"extra\"]')):",  # the source line
    ]))
    result = pytester.runpytest("--ckptguard-strict")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(globs(["nets.py:9: ckptguard's prediction for Dynamic[default] disagrees with the live model"]))


def test_a_witness_that_does_not_build_is_skipped_with_a_warning_and_fails_under_strict(pytester):
    make_project(pytester, """
        import torch.nn as nn

        class Blocky(nn.Module):
            def __init__(self, norm_layer=None):
                super().__init__()
                if norm_layer is None:
                    norm_layer = nn.BatchNorm1d
                self.norm = norm_layer(4)
    """)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(passed=2, skipped=1, warnings=1)
    result.stdout.fnmatch_lines(globs([
        "*/nets.py:9: PredictionWarning: the witness of Blocky[norm_layer=True] does not build",
        "    building Blocky(norm_layer=True) raised TypeError: 'bool' object is not callable",
        "SKIPPED [1] nets.py:4: the analyzer's witness for Blocky[norm_layer=True] does not build (see warnings)",
    ]))
    result = pytester.runpytest("--ckptguard-strict")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(globs(["nets.py:9: building Blocky(norm_layer=True) raised TypeError: 'bool' object is not callable"]))


def test_matrix_entries_torch_contradicts_are_warnings_and_fail_under_strict(pytester):
    make_project(pytester, """
        import torch.nn as nn

        class Tolerant(nn.Module):
            def __init__(self, extra=False):
                super().__init__()
                self.fc = nn.Linear(2, 2)
                if extra:
                    self.extra = nn.Linear(2, 2)
                self._register_load_state_dict_pre_hook(self._fill)  # fills in keys a checkpoint lacks

            def _fill(self, state_dict, prefix, *args):
                for key, value in self.state_dict(prefix=prefix).items():
                    state_dict.setdefault(key, value)
    """)
    result = pytester.runpytest("-k", "cross")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(globs([
        "*/nets.py:4: PredictionWarning: ckptguard's compatibility matrix disagrees with torch for 1 of 2 pairs "
        "of Tolerant branches",
        "    default -> extra=True:",
        '      predicted: Missing key(s) in state_dict: "extra.weight", "extra.bias".',
        "      torch:     loads",
    ]))
    pytester.runpytest("-k", "cross", "--ckptguard-strict").assert_outcomes(failed=1)


def test_class_the_analyzer_cannot_follow_is_skipped_and_fails_under_strict(pytester):
    make_project(pytester, """
        import torch.nn as nn

        class Recurrent(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = nn.LSTM(2, 2)
                self.rnn._apply(lambda t: t)  # Module._apply is not modelled
    """)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(globs(["SKIPPED [1] nets.py:4: ckptguard cannot analyse Recurrent: nets.py:*"]))
    pytester.runpytest("--ckptguard-strict").assert_outcomes(failed=1)


def test_required_arguments_are_all_named_and_configs_fill_them(pytester):
    source = """
        import torch.nn as nn

        class Head(nn.Module):
            def __init__(self, in_features, out_features, *, bias=True, act):
                super().__init__()
                self.fc = nn.Linear(in_features, out_features, bias=bias)
    """
    make_project(pytester, source)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(globs([
        "SKIPPED [1] nets.py:4: Head needs in_features, out_features, act (no default): configure them in "
        'pyproject.toml: [tool.ckptguard.configs."nets:Head"] in_features = ...; out_features = ...; act = ...',
    ]))
    make_project(pytester, source, """
        [tool.ckptguard.configs."nets:Head"]
        in_features = 4
        out_features = 2
        act = { python = "nn.ReLU" }
    """)
    result = pytester.runpytest("--collect-only", "-q")
    assert collected_ids(result) == ["nets.py::Head[default]", "nets.py::Head[bias=False]", "nets.py::Head[cross-branch]"]
    pytester.runpytest().assert_outcomes(passed=3)


def test_round_trip_failures_are_reported_at_the_class(pytester):
    make_project(pytester, """
        import torch
        import torch.nn as nn

        class Offset(nn.Module):
            def __init__(self):
                super().__init__()
                self.scale = nn.Parameter(torch.ones(2))

            def _load_from_state_dict(self, state_dict, prefix, *args):
                super()._load_from_state_dict(state_dict, prefix, *args)
                with torch.no_grad():
                    self.scale.add_(1)
    """)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(globs([
        "nets.py:5: after load_state_dict, a fresh Offset() holds other values than the checkpoint",
        "  scale: bytes differ*",
    ]))


def test_options_without_pyproject_configuration(pytester):
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\naddopts = \"-p no:cacheprovider\"\n")
    (pytester.path / "nets.py").write_text(textwrap.dedent("""
        import torch.nn as nn

        class A(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)

        class B(A):
            pass
    """))
    (pytester.path / "test_unit.py").write_text("def test_plain():\n    pass\n")
    result = pytester.runpytest("--collect-only", "-q")
    assert collected_ids(result) == ["test_unit.py::test_plain"]
    result = pytester.runpytest("--ckptguard-models=nets.py", "--ckptguard-skip=*:B", "--collect-only", "-q")
    assert collected_ids(result) == ["nets.py::A[default]", "nets.py::A[golden]", "test_unit.py::test_plain"]
    result = pytester.runpytest("--ckptguard")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(globs(["ERROR: ckptguard: no models to test: add models = *"]))
    result = pytester.runpytest("--ckptguard-models=nope.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(globs(["ERROR: pyproject.toml: models entry 'nope.py': * does not exist"]))


def test_bad_settings_are_usage_errors(pytester):
    make_project(pytester, "", "\n[tool.ckptguard.checkpoints]\n\"nets:A\" = [1]\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(globs(['ERROR: pyproject.toml: [tool.ckptguard.checkpoints] "nets:A": each entry is a path or *']))
    pytester.makepyprojecttoml("[tool.ckptguard]\nmodels = [\"nets.py\"]\nmodel = 1\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(globs(["ERROR: pyproject.toml: unknown key(s) in [tool.ckptguard]: model *"]))


def test_table_entries_naming_no_class_are_usage_errors(pytester):
    """A config or reference checkpoint for a misspelt or renamed class was silently ignored: the
    checkpoint test vanished and the suite passed."""
    source = """
        import torch.nn as nn

        class Classifier(nn.Module):
            def __init__(self, width=4):
                super().__init__()
                self.fc = nn.Linear(width, 2)
    """
    make_project(pytester, source, '\n[tool.ckptguard.configs."nets:Clasifier"]\nwidth = 8\n')
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(globs(['ERROR: pyproject.toml: [tool.ckptguard.configs] "nets:Clasifier": no model class of '
                                       "that name among the models tested (did you mean 'nets:Classifier'?)"]))
    make_project(pytester, source, '\n[tool.ckptguard.checkpoints]\n"nets:OldNet" = ["old.pt"]\n')
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(globs(['ERROR: pyproject.toml: [tool.ckptguard.checkpoints] "nets:OldNet": no model class of '
                                       "that name among the models tested"]))
    make_project(pytester, source, '\n[tool.ckptguard.configs."nets:Classifier"]\nwidth = 8\n')
    pytester.runpytest().assert_outcomes(passed=1)


def test_explicit_paths_select_model_files_and_node_ids_work(sample):
    (sample.path / "tests").mkdir()
    (sample.path / "tests" / "test_unit.py").write_text("def test_plain():\n    pass\n")
    assert collected_ids(sample.runpytest("--collect-only", "-q", "tests")) == ["tests/test_unit.py::test_plain"]
    ids = collected_ids(sample.runpytest("--collect-only", "-q", "tests", "--ckptguard"))
    assert ids == ["tests/test_unit.py::test_plain", *EXPECTED_IDS]
    assert collected_ids(sample.runpytest("--collect-only", "-q", "shop/blocks.py")) == EXPECTED_IDS[:4]
    result = sample.runpytest("shop/models.py::ConditionalNet[golden]", "shop/models.py::Encoder[default]")
    result.assert_outcomes(passed=2)


def test_help_lists_the_option_group(sample):
    result = sample.runpytest("--help")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["ckptguard: generated checkpoint-compatibility tests:", "  --ckptguard *"])


def test_disabled_with_p_no(sample):
    result = sample.runpytest("-p", "no:ckptguard", "--collect-only", "-q")
    assert collected_ids(result) == []


# -- static collection ---------------------------------------------------------------------------

PROBE = """
import json, sys
def pytest_sessionfinish(session):
    maps = open("/proc/self/maps").read()
    json.dump({"torch": "torch" in sys.modules, "libtorch": "libtorch" in maps,
               "models": sorted(m for m in sys.modules if m == "shop" or m.startswith("shop.")),
               "ckptguard": sorted(m for m in sys.modules if m.startswith("ckptguard"))},
              open("probe.json", "w"))
"""


def probe(directory: Path, *args: str) -> dict:
    (directory / "ckg_probe.py").write_text(PROBE)
    env = subprocess_env()
    env["PYTHONPATH"] = str(directory)
    subprocess.run([sys.executable, "-m", "pytest", "-p", "ckg_probe", *args], cwd=directory, env=env,
                   capture_output=True, text=True, timeout=300, check=False)
    return json.loads((directory / "probe.json").read_text())


@pytest.mark.parametrize("args", [[], ["shop/blocks.py"]], ids=["project", "model-file-argument"])
def test_collection_imports_neither_torch_nor_the_models(sample, args):
    seen = probe(sample.path, "--collect-only", "-q", *args)
    assert seen["torch"] is False and seen["libtorch"] is False
    assert seen["models"] == []
    assert "ckptguard._core" in seen["ckptguard"]  # the analyzer ran


def test_inactive_plugin_loads_nothing(pytester):
    (pytester.path / "test_unit.py").write_text("def test_plain():\n    pass\n")
    seen = probe(pytester.path, "-q")
    assert seen["torch"] is False
    assert seen["ckptguard"] == ["ckptguard", "ckptguard.pytest_plugin"]
