"""The migration round trip: `ckptguard diff` emits a migration for a breaking edit; pasted into
the model it makes `diff`, `check` and the plugin's golden and reference-checkpoint tests green,
because ckptguard interprets the model's own load hook over the old checkpoint's keys; and real
torch agrees: the checkpoint saved by the old code loads with strict=True."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from ckg_testing import REPO, VENV_BIN, import_file, run_console
from cross_file_project import git

SEEDS = REPO / "examples" / "seed_project"
TORCHVISION = Path("/usr/lib/python3/dist-packages/torchvision")


def paste_migration(path: Path, migration: str, class_line: str, after_line: str) -> None:
    """What a user does with the emitted migration: the function above the class, the hook
    registered in its __init__."""
    text = path.read_text()
    assert class_line in text and after_line in text
    indent = after_line[: len(after_line) - len(after_line.lstrip())]
    text = text.replace(class_line, migration + "\n\n" + class_line, 1)
    text = text.replace(after_line, after_line + f"\n{indent}self._register_load_state_dict_pre_hook(ckptguard_migrate)", 1)
    path.write_text(text)


def pytest_in(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "python"), "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=project,
                          capture_output=True, text=True, timeout=600)


def test_seed_scenario_renamed_layer(tmp_path: Path):
    shutil.copytree(SEEDS, tmp_path / "seeds", ignore=shutil.ignore_patterns("__pycache__"))
    saved, edited = tmp_path / "seeds" / "saved", tmp_path / "seeds" / "edited"
    old_file, new_file = saved / "seeds" / "renamed.py", edited / "seeds" / "renamed.py"
    ckpt = saved / "ckpts" / "renamed.pt"

    before = run_console("diff", str(old_file), str(new_file), "--format", "json")
    assert before.returncode == 1
    doc = json.loads(before.stdout)
    assert [f["code"] for f in doc["findings"]] == ["CKG101"]
    assert doc["remap_rules"] == [{"kind": "prefix", "from": "fc.", "to": "layer1."}]
    assert run_console("check", str(ckpt), f"{new_file}::MyModel").returncode == 1
    assert pytest_in(edited, "-k", "MyModel").returncode == 1

    paste_migration(new_file, doc["migration"], "class MyModel(nn.Module):", "        self.layer1 = nn.Linear(4, 2)  # was self.fc")

    after = run_console("diff", str(old_file), str(new_file), "--format", "json")
    assert after.returncode == 0 and json.loads(after.stdout)["findings"] == []
    assert any("load through the migration" in n for n in json.loads(after.stdout)["notes"])
    check = run_console("check", str(ckpt), f"{new_file}::MyModel", "--format", "json")
    assert check.returncode == 0 and json.loads(check.stdout)["compatible"]
    plugin = pytest_in(edited, "-k", "MyModel", "-v")
    assert plugin.returncode == 0, plugin.stdout
    assert "MyModel[golden] PASSED" in plugin.stdout and "MyModel[checkpoint:" in plugin.stdout
    import_file(new_file).MyModel().load_state_dict(torch.load(ckpt), strict=True)  # real torch agrees


@pytest.mark.skipif(not TORCHVISION.is_dir(), reason="needs Debian's python3-torchvision")
def test_torchvision_resnet_layer_renamed(tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(TORCHVISION, repo / "torchvision", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.pytest.ini_options]
        addopts = "-p no:cacheprovider"

        [tool.ckptguard]
        models = ["torchvision.models.resnet"]

        [tool.ckptguard.configs."torchvision.models.resnet:ResNet"]
        block = { python = "BasicBlock" }
        layers = [2, 2, 2, 2]

        [tool.ckptguard.checkpoints]
        "torchvision.models.resnet:ResNet" = ["resnet18.pt"]
    """))
    ckpt = repo / "resnet18.pt"
    torch.save(__import__("torchvision").models.resnet18().state_dict(), ckpt)  # saved with the old code
    git(repo, "init", "-q")
    recorded = pytest_in(repo, "--ckptguard-update", "-k", "ResNet and not Quant", "torchvision/models/resnet.py")
    assert recorded.returncode == 0, recorded.stdout
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "v1")

    resnet = repo / "torchvision" / "models" / "resnet.py"
    text = resnet.read_text()
    old_fc = "self.fc = nn.Linear(512 * block.expansion, num_classes)"
    resnet.write_text(text.replace(old_fc, "self.classifier = nn.Linear(512 * block.expansion, num_classes)")
                      .replace("x = self.fc(x)", "x = self.classifier(x)"))
    run = lambda *a: subprocess.run([str(VENV_BIN / "ckptguard"), *a], cwd=repo, capture_output=True, text=True, timeout=600)
    before = run("diff", "--no-branches", "--format", "json")
    assert before.returncode == 1, before.stderr
    doc = json.loads(before.stdout)
    finding = next(f for f in doc["findings"] if f["code"] == "CKG101")
    assert "torchvision/models/resnet.py::resnet18" in finding["models"] and finding["file"] == "torchvision/models/resnet.py"
    assert doc["remap_rules"] == [{"kind": "prefix", "from": "fc.", "to": "classifier."}]

    paste_migration(resnet, doc["migration"], "class ResNet(nn.Module):",
                    "        self.classifier = nn.Linear(512 * block.expansion, num_classes)")

    after = run("diff", "--no-branches", "--format", "json")
    assert after.returncode == 0 and json.loads(after.stdout)["findings"] == [], after.stdout
    check = run("check", str(ckpt), "torchvision/models/resnet.py::resnet18", "--format", "json")
    assert check.returncode == 0 and json.loads(check.stdout)["compatible"], check.stdout
    plugin = pytest_in(repo, "-v", "-k", "ResNet and not Quant", "torchvision/models/resnet.py")
    assert plugin.returncode == 0, plugin.stdout
    assert "ResNet[golden] PASSED" in plugin.stdout and "ResNet[checkpoint:resnet18.pt] PASSED" in plugin.stdout
    # Real torch, with the edited copy of torchvision first on the path.
    load = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import torch, torchvision.models.resnet as r
        assert r.__file__.startswith({str(repo)!r}), r.__file__
        r.resnet18().load_state_dict(torch.load({str(ckpt)!r}), strict=True)
    """)], cwd=repo, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(repo)))
    assert load.returncode == 0, load.stderr


VERSIONED = '''
import torch
import torch.nn as nn


class Net(nn.Module):
    _version = 2

    def __init__(self, hook=False):
        super().__init__()
        self.encoder = nn.Linear(4, 8)
        self.norm = nn.BatchNorm1d(8)
        self.head = nn.Linear(8, 3)
        if hook:
            self._register_load_state_dict_pre_hook(drop_legacy, with_module=True)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        if version is None or version < 2:
            # version 1 called the encoder "enc"
            for key in list(state_dict):
                if key.startswith(prefix + "enc."):
                    state_dict[prefix + "encoder." + key[len(prefix + "enc."):]] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)


def drop_legacy(module, state_dict, prefix, *args):
    state_dict.pop(prefix + "legacy", None)
'''

OLD_V1 = '''
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, head=3):
        super().__init__()
        self.enc = nn.Linear(4, 8)
        self.norm = nn.BatchNorm1d(8)
        self.head = nn.Linear(8, head)
        self.register_buffer("legacy", torch.zeros(2))
'''


@pytest.mark.parametrize("hook, head", [(True, 3), (False, 3), (True, 5)], ids=["migrates", "legacy-buffer-left", "head-resized"])
def test_interpreted_load_hooks_agree_with_torch(tmp_path: Path, hook, head):
    """A _version upgrade in a _load_from_state_dict override and a pre-hook, run by `check` on a
    version-1 checkpoint: the verdict and torch's exact error text, as real torch gives them."""
    old_file, new_file, ckpt = tmp_path / "old.py", tmp_path / "new.py", tmp_path / "v1.pt"
    old_file.write_text(OLD_V1)
    new_file.write_text(VERSIONED)
    state = import_file(old_file).Net(head=head).state_dict()
    torch.save(state, ckpt)
    try:
        import_file(new_file).Net(hook=hook).load_state_dict(torch.load(ckpt), strict=True)
        expected = None
    except RuntimeError as e:
        expected = str(e)
    result = run_console("check", str(ckpt), f"{new_file}::Net", "--config", f"hook={hook}", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["pytorch_error"] == expected
    assert result.returncode == (0 if expected is None else 1)
    assert any("load code ran" in n for n in doc["notes"])
