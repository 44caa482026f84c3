"""`ckptguard diff`: each kind of checkpoint-breaking edit is reported with its code, every remap
is proven by loading an old checkpoint into the new code with real torch, and key-preserving
refactors report nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from ckg_testing import import_file, run_console

BASE = """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, use_extra=False):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3)
        self.features = nn.Sequential(nn.Conv2d(8, 8, 3), nn.ReLU(), nn.Conv2d(8, 16, 3))
        self.linear2 = nn.Linear(16, 4)
        self.head = nn.Linear(4, 2)
        self.register_buffer("scale", torch.ones(4))
        if use_extra:
            self.extra = nn.Linear(2, 2)

    def forward(self, x):
        x = self.features(self.conv1(x)).mean((2, 3))
        return self.head(self.linear2(x) * self.scale)
"""

# (case, edit as (old, new) replacements, expected code, remap proves the fix)
EDITS = [
    ("key renamed", [("self.linear2 = ", "self.fc2 = "), ("self.linear2(x)", "self.fc2(x)")], "CKG101", True),
    ("moved under a new parent", [("self.conv1 = nn.Conv2d(3, 8, 3)", "self.stem = nn.Sequential(nn.Conv2d(3, 8, 3))"),
                                  ("self.conv1(x)", "self.stem(x)")], "CKG102", True),
    ("Sequential reorder", [("nn.Sequential(nn.Conv2d(8, 8, 3), nn.ReLU(),", "nn.Sequential(nn.Dropout(), nn.Conv2d(8, 8, 3), nn.ReLU(),")],
     "CKG103", True),
    ("removed", [("        self.head = nn.Linear(4, 2)\n", ""), ("self.head(", "(")], "CKG104", False),
    ("added", [("self.head = nn.Linear(4, 2)", "self.head = nn.Linear(4, 2)\n        self.norm = nn.LayerNorm(4)")], "CKG105", False),
    ("buffer made non-persistent", [('torch.ones(4))', 'torch.ones(4), persistent=False)')], "CKG106", False),
    ("branch default flipped", [("use_extra=False", "use_extra=True")], "CKG107", False),
    ("branch removed", [("        if use_extra:\n            self.extra = nn.Linear(2, 2)\n", "")], "CKG108", False),
    ("shape changed", [("nn.Linear(4, 2)", "nn.Linear(4, 3)")], "CKG201", False),
    ("dtype changed", [("torch.ones(4))", "torch.ones(4, dtype=torch.float64))")], "CKG202", False),
]


def edit(source: str, replacements) -> str:
    for old, new in replacements:
        assert old in source, old
        source = source.replace(old, new)
    return source


def write_pair(tmp_path: Path, new_source: str, old_source: str = BASE) -> tuple[Path, Path]:
    (tmp_path / "old").mkdir(exist_ok=True)
    (tmp_path / "new").mkdir(exist_ok=True)
    old, new = tmp_path / "old" / "model.py", tmp_path / "new" / "model.py"
    old.write_text(textwrap.dedent(old_source))
    new.write_text(textwrap.dedent(new_source))
    return old, new


@pytest.mark.parametrize("case, replacements, code, remap_fixes", EDITS, ids=[e[0] for e in EDITS])
def test_edit_is_caught_with_its_code(tmp_path: Path, case, replacements, code, remap_fixes):
    old, new = write_pair(tmp_path, edit(BASE, replacements))
    result = run_console("diff", str(old), str(new), "--format", "json")
    doc = json.loads(result.stdout)
    codes = [f["code"] for f in doc["findings"]]
    assert code in codes, (case, doc["findings"])
    assert result.returncode == (0 if all(f["severity"] != "error" for f in doc["findings"]) else 1)
    finding = next(f for f in doc["findings"] if f["code"] == code)
    assert finding["file"] == str(new) and finding["line"] > 0
    assert set(finding) >= {"code", "kind", "target", "old", "new", "file", "line", "message"}

    old_model = import_file(old).Net()
    new_model = import_file(new).Net()
    state = old_model.state_dict()
    if remap_fixes:
        assert doc["remap"]
        migrated = OrderedDict((doc["remap"].get(k, k), v) for k, v in state.items())
        new_model.load_state_dict(migrated, strict=True)  # the remap really migrates old checkpoints
        # ... and so does the emitted pre-hook
        namespace = {}
        exec(doc["migration"], namespace)
        hooked = import_file(new).Net()
        hooked._register_load_state_dict_pre_hook(namespace["ckptguard_migrate"])
        hooked.load_state_dict(state, strict=True)
    elif code in ("CKG104", "CKG105", "CKG106", "CKG201"):
        with pytest.raises(RuntimeError):
            new_model.load_state_dict(state, strict=True)  # the finding is a real break


@pytest.mark.parametrize("edit, error", [
    (lambda s: s.replace("self.conv1 = nn.Conv2d(3, 8, 3)", "self.conv1 = nn.Conv2d(3, 8, 3)\n        raise ValueError('boom')"),
     ValueError),
    (lambda s: s.replace("nn.Conv2d(3, 8, 3)", "nn.Conv2d(3, WIDTH, 3)"), NameError),
])
def test_a_model_that_no_longer_builds_is_a_finding(tmp_path: Path, edit, error):
    old, new = write_pair(tmp_path, edit(textwrap.dedent(BASE)))
    with pytest.raises(error):
        import_file(new).Net()  # the new constructor really fails: no checkpoint loads
    done = run_console("diff", str(old), str(new), "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    [finding] = doc["findings"]
    assert finding["code"] == "CKG110" and finding["kind"] == "model-not-buildable"
    assert finding["line"] == next(i for i, l in enumerate(new.read_text().splitlines(), 1) if "boom" in l or "WIDTH" in l)
    assert [m.split("::")[1] for m in doc["models_not_compared"]] == ["Net"]


def test_models_not_compared_are_counted_not_passed_silently(tmp_path: Path):
    broken = textwrap.dedent(BASE).replace("self.conv1 = nn.Conv2d(3, 8, 3)", "self.conv1 = nn.Conv2d(3, 8, 3)\n        raise ValueError('boom')")
    old, new = write_pair(tmp_path, broken + "\n# a comment\n", broken)
    done = run_console("diff", str(old), str(new))
    assert done.returncode == 0, done.stdout  # it failed before this change too: not this edit's doing
    assert "1 affected model not compared" in done.stdout and "could not be built statically" in done.stdout


def test_default_flip_points_to_the_branch_that_still_loads(tmp_path: Path):
    old, new = write_pair(tmp_path, BASE.replace("use_extra=False", "use_extra=True"))
    doc = json.loads(run_console("diff", str(old), str(new), "--format", "json").stdout)
    flip = next(f for f in doc["findings"] if f["code"] == "CKG107")
    assert flip["old"] == "default" and flip["new"] == "use_extra=False"
    import_file(new).Net(use_extra=False).load_state_dict(import_file(old).Net().state_dict(), strict=True)


REFACTORS = [
    ("comments and docstrings", lambda s: s.replace("class Net(nn.Module):", 'class Net(nn.Module):\n    """A net."""\n    # layers below')),
    ("reformatted", lambda s: s.replace("nn.Sequential(nn.Conv2d(8, 8, 3), nn.ReLU(), nn.Conv2d(8, 16, 3))",
                                        "nn.Sequential(\n            nn.Conv2d(8, 8, 3),\n            nn.ReLU(),\n            nn.Conv2d(8, 16, 3),\n        )")
     .replace("    ", "  ").replace('"scale"', "'scale'")),
    ("forward changed", lambda s: s.replace("return self.head(self.linear2(x) * self.scale)", "return self.head(torch.relu(self.linear2(x)))")),
    ("class renamed", lambda s: s.replace("class Net(", "class Network(")),
    ("helper method extracted", lambda s: s.replace("self.linear2 = nn.Linear(16, 4)", "self.linear2 = self._make_linear(16, 4)")
     + "\n    def _make_linear(self, a, b):\n        return nn.Linear(a, b)\n"),
    ("module-level helper", lambda s: s.replace("self.head = nn.Linear(4, 2)", "self.head = make_head(4)")
     + "\ndef make_head(width):\n    return nn.Linear(width, 2)\n"),
    ("constants", lambda s: "WIDTH = 16\n" + s.replace("nn.Linear(16, 4)", "nn.Linear(WIDTH, 4)")),
    ("import style", lambda s: s.replace("import torch.nn as nn", "from torch import nn")),
    ("loop instead of repetition", lambda s: s.replace("nn.Sequential(nn.Conv2d(8, 8, 3), nn.ReLU(), nn.Conv2d(8, 16, 3))",
                                                       "nn.Sequential(*[m for a, b in [(8, 8), (8, 16)] for m in (nn.Conv2d(a, b, 3), nn.ReLU())][:3])")),
    ("partial", lambda s: "from functools import partial\n" + s.replace("nn.Linear(16, 4)", "partial(nn.Linear, 16)(4)")),
    ("config dataclass with the same defaults", lambda s: "from dataclasses import dataclass\n@dataclass\nclass Cfg:\n    width: int = 4\n"
     + s.replace("def __init__(self, use_extra=False):", "def __init__(self, use_extra=False, cfg=Cfg()):").replace("nn.Linear(16, 4)", "nn.Linear(16, cfg.width)")),
    ("non-structural hyperparameter", lambda s: s.replace("nn.ReLU()", "nn.ReLU(inplace=True)")),
]


@pytest.mark.parametrize("case, refactor", REFACTORS, ids=[r[0] for r in REFACTORS])
def test_key_preserving_refactor_reports_nothing(tmp_path: Path, case, refactor):
    old, new = write_pair(tmp_path, refactor(textwrap.dedent(BASE)))
    models = import_file(new)
    new_model = getattr(models, "Net", None) or getattr(models, "Network")()
    if isinstance(new_model, type):
        new_model = new_model()
    new_model.load_state_dict(import_file(old).Net().state_dict(), strict=True)  # really key-preserving
    result = run_console("diff", str(old), str(new), "--format", "json")
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["findings"] == []


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}).stdout


def test_base_mode_reads_the_old_version_from_git_without_touching_the_tree(tmp_path: Path):
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "blocks.py").write_text("import torch.nn as nn\n\ndef block(w):\n    return nn.Linear(w, w)\n")
    (repo / "pkg" / "model.py").write_text(textwrap.dedent(BASE).replace("import torch.nn as nn", "import torch.nn as nn\nfrom .blocks import block")
                                           .replace("nn.Linear(16, 4)", "nn.Sequential(block(16), nn.Linear(16, 4))"))
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "v1")
    model = repo / "pkg" / "model.py"
    model.write_text(model.read_text().replace("self.linear2 = ", "self.fc2 = ").replace("self.linear2(x)", "self.fc2(x)"))
    status_before = git(repo, "status", "--porcelain")
    unstaged = run_console_in(repo, "diff", "--base", "HEAD", "--format", "json")
    assert unstaged.returncode == 1
    doc = json.loads(unstaged.stdout)
    assert [f["code"] for f in doc["findings"]] == ["CKG101"]
    assert doc["findings"][0]["file"] == "pkg/model.py"
    assert doc["remap"] == {"linear2.0.weight": "fc2.0.weight", "linear2.0.bias": "fc2.0.bias",
                            "linear2.1.weight": "fc2.1.weight", "linear2.1.bias": "fc2.1.bias"}
    staged = run_console_in(repo, "diff", "--base", "HEAD", "--staged", "--format", "json")
    assert staged.returncode == 0 and json.loads(staged.stdout)["findings"] == []  # nothing staged yet
    git(repo, "add", "pkg/model.py")
    staged = run_console_in(repo, "diff", "--base", "HEAD", "--staged", "pkg/model.py")
    assert staged.returncode == 1 and "error[CKG101]" in staged.stdout
    # Reading the old version never touched the work tree or the index beyond our own `git add`.
    assert git(repo, "status", "--porcelain") == status_before.replace(" M pkg/model.py", "M  pkg/model.py")
    assert (repo / "pkg" / "model.py").read_text().count("self.fc2") == 2


def run_console_in(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    from ckg_testing import VENV_BIN

    return subprocess.run([str(VENV_BIN / "ckptguard"), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.mark.parametrize("args, fragment", [
    (["diff"], "not inside a git repository"),  # the work tree against HEAD
    (["diff", "/nonexistent/a.py", "/nonexistent/b.py"], "/nonexistent/a.py: no such file"),
    (["diff", "a.py", "b.py", "--staged"], "not inside a git repository"),  # staged PATHS against HEAD
    (["diff", "--base", "no-such-rev"], ""),
])
def test_diff_bad_input_exit_2(tmp_path: Path, args, fragment):
    result = subprocess.run([str(Path(__file__).parents[2] / ".venv/bin/ckptguard"), *args], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert result.stderr.count("\n") == 1 and fragment in result.stderr


def test_inline_suppression(tmp_path: Path):
    new_source = BASE.replace("self.linear2 = nn.Linear(16, 4)", "self.fc2 = nn.Linear(16, 4)  # ckptguard: ignore[CKG101]")
    old, new = write_pair(tmp_path, new_source.replace("self.linear2(x)", "self.fc2(x)"))
    result = run_console("diff", str(old), str(new), "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout)["findings"] == []
    other_code = BASE.replace("self.linear2 = nn.Linear(16, 4)", "self.fc2 = nn.Linear(16, 4)  # ckptguard: ignore[CKG201]")
    old, new = write_pair(tmp_path, other_code.replace("self.linear2(x)", "self.fc2(x)"))
    assert run_console("diff", str(old), str(new)).returncode == 1  # another code is not suppressed


def test_ignore_option(tmp_path: Path):
    old, new = write_pair(tmp_path, BASE.replace("nn.Linear(4, 2)", "nn.Linear(4, 3)"))
    assert run_console("diff", str(old), str(new)).returncode == 1
    ignored = run_console("diff", str(old), str(new), "--ignore", "CKG201", "--format", "json")
    assert ignored.returncode == 0 and json.loads(ignored.stdout)["findings"] == []


def test_pyproject_ignore_list(tmp_path: Path):
    old, new = write_pair(tmp_path, BASE.replace("nn.Linear(4, 2)", "nn.Linear(4, 3)"))
    (tmp_path / "new" / "pyproject.toml").write_text('[tool.ckptguard]\nignore = ["CKG201"]\n')
    result = run_console("diff", str(old), str(new), "--format", "json")
    assert result.returncode == 0 and json.loads(result.stdout)["findings"] == []
    (tmp_path / "new" / "pyproject.toml").write_text('[tool.ckptguard]\nper-file-ignores = { "other.py" = ["CKG201"] }\n')
    assert run_console("diff", str(old), str(new)).returncode == 1  # another file's ignore does not apply


def test_two_files_of_different_names_are_one_edited_file(tmp_path: Path):
    """`diff old.py new.py` pairs the two files' lines: a layer inserted before old line 13 is one
    finding for every branch it breaks, with the old side at old.py:13 (it was new.py:1, as if
    the whole file were new)."""
    old = tmp_path / "old.py"
    shutil.copy(Path(__file__).parents[2] / "examples" / "seed_conditional.py", old)
    new = tmp_path / "new.py"
    new.write_text(old.read_text().replace("        self.relu = nn.ReLU()\n",
                                           "        self.relu = nn.ReLU()\n        self.proj = nn.Linear(10, 10)\n"))
    result = run_console("diff", str(old), str(new), "--format", "json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    [finding] = doc["findings"]
    assert finding["code"] == "CKG105" and finding["edit"] == {"file": str(new), "line": 13}
    assert finding["old_edit"] == {"file": str(old), "line": 13}
    assert finding["models"] == {"new.py::ConditionalModel": ["default", "use_extra_layer=True"]}
    assert doc["changed_files"] == [str(new)]
    model = import_file(new).ConditionalModel()  # torch agrees: the old checkpoint misses proj.*
    missing = model.load_state_dict(import_file(old).ConditionalModel().state_dict(), strict=False).missing_keys
    assert missing == ["proj.weight", "proj.bias"]


def test_incomplete_predictions_are_not_an_all_clear(tmp_path: Path):
    """A model the interpreter cannot follow compares equal in both versions; the edit below does
    change its keys in torch, so the summary and JSON say the comparison was incomplete (it was a
    plain "No checkpoint-breaking changes")."""
    source = ("import json\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
              "        super().__init__()\n        self.fc = nn.Linear(4, 4)\n"
              "        for name in json.loads('[\"extra\"]'):\n            self.add_module(name, nn.Linear(2, 2))\n")
    old, new = tmp_path / "old.py", tmp_path / "new.py"
    old.write_text(source)
    new.write_text(source.replace('["extra"]', '["other"]'))
    assert set(import_file(old).Net().state_dict()) != set(import_file(new).Net().state_dict())
    result = run_console("diff", str(old), str(new), "--format", "json")
    doc = json.loads(result.stdout)
    [entry] = doc["models_incomplete"]
    assert entry["model"] == "new.py::Net" and "new.py:9:" in entry["reason"]
    text = run_console("diff", str(old), str(new)).stdout
    assert "1 compared incompletely" in text.splitlines()[-1]
    assert "note: 1 compared model is predicted incompletely, so a change there can go unseen: new.py::Net" in text
    assert run_console("diff", str(old), str(new)).returncode == 0
    assert run_console("diff", str(old), str(new), "--fail-incomplete").returncode == 1


NEEDS_WIDTH = """
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, 2)
"""


def test_configured_arguments_reach_the_model(tmp_path: Path):
    old, new = write_pair(tmp_path, NEEDS_WIDTH.replace("nn.Linear(width, 2)", "nn.Linear(width, 3)"), NEEDS_WIDTH)
    (tmp_path / "new" / "pyproject.toml").write_text('[tool.ckptguard.configs."model:Net"]\nwidth = 4\n')
    done = run_console("diff", str(old), str(new), "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    assert [f["code"] for f in json.loads(done.stdout)["findings"]] == ["CKG201"]


@pytest.mark.parametrize("key, message", [
    ("model:Nte", "no class Nte in model.py (did you mean 'Net'?)"),
    ("modle:Net", "no module modle in the project (did you mean 'model'?)"),
    ("Nte", "no class Nte in the project (did you mean 'Net'?)"),
    ("modl.py::Net", "no file modl.py (did you mean 'model.py'?)"),
    ("model.py::Ne", "no class Ne in model.py (did you mean 'Net'?)"),
])
def test_configured_class_that_does_not_exist_is_an_error(tmp_path: Path, key, message):
    """A [tool.ckptguard.configs] key naming no class was silently never used: the model it meant
    went unanalysed. Now it is exit 2 naming the key, with a did-you-mean."""
    old, new = write_pair(tmp_path, NEEDS_WIDTH.replace("nn.Linear(width, 2)", "nn.Linear(width, 3)"), NEEDS_WIDTH)
    pyproject = tmp_path / "new" / "pyproject.toml"
    pyproject.write_text(f'[tool.ckptguard.configs."{key}"]\nwidth = 4\n')
    done = run_console("diff", str(old), str(new))
    assert done.returncode == 2, done.stdout
    assert done.stderr.strip() == f'{pyproject}: [tool.ckptguard.configs."{key}"]: {message}', done.stderr


def test_class_renamed_by_the_change_is_named_in_its_config(tmp_path: Path):
    old, new = write_pair(tmp_path, NEEDS_WIDTH.replace("class Net(", "class Network("), NEEDS_WIDTH)
    (tmp_path / "new" / "pyproject.toml").write_text('[tool.ckptguard.configs."model:Net"]\nwidth = 4\n')
    done = run_console("diff", str(old), str(new))
    assert done.returncode == 2 and "no class Net in model.py (it defines Network)" in done.stderr, done.stderr
