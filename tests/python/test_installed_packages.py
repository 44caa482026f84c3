"""Imports of installed packages are followed the way the user's interpreter resolves them: its
sys.path (from --python, a .venv beside the project, ...), library source interpreted like project
source. Expected keys come from real torch with the same sys.path."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import torch  # noqa: F401  (the ground truth below instantiates with real torch)

import ckptguard

from ckg_testing import import_file, predicted_keys, run_console, torch_keys

SYSTEM_PYTHON = "/usr/bin/python3"  # the interpreter with torch and torchvision


def test_torchvision_resnet50_as_a_backbone(tmp_path: Path):
    src = tmp_path / "detector.py"
    src.write_text(textwrap.dedent("""
        import torch.nn as nn
        import torchvision
        from torchvision.models import resnet50


        class Detector(nn.Module):
            def __init__(self, num_classes=7):
                super().__init__()
                backbone = resnet50()
                backbone.fc = nn.Identity()
                self.backbone = backbone
                self.neck = getattr(torchvision.models, "resnet18")(num_classes=3)
                self.head = nn.Linear(2048, num_classes)
    """))
    expected = torch_keys(import_file(src).Detector())
    run = run_console("keys", f"{src}::Detector", "--python", SYSTEM_PYTHON, "--format", "json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert predicted_keys(doc) == expected
    # the Python API resolves through the running interpreter's sys.path
    assert predicted_keys(ckptguard.predict_keys(f"{src}::Detector", {})) == expected


def test_pure_python_package_in_a_separate_venv(tmp_path: Path):
    venv = tmp_path / "project" / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    package = site / "tinylayers"
    package.mkdir()
    (package / "__init__.py").write_text("from .blocks import Block, make_stack\n")
    (package / "blocks.py").write_text(textwrap.dedent("""
        import torch
        import torch.nn as nn


        class Block(nn.Module):
            def __init__(self, dim, hidden_ratio=2):
                super().__init__()
                self.norm = nn.LayerNorm(dim)
                self.fc = nn.Linear(dim, dim * hidden_ratio)
                self.register_buffer("scale", torch.ones(dim))


        def make_stack(dim, depth):
            return nn.Sequential(*[Block(dim) for _ in range(depth)])
    """))
    src = tmp_path / "project" / "model.py"
    src.write_text(textwrap.dedent("""
        import torch.nn as nn
        from tinylayers import Block, make_stack


        class Model(nn.Module):
            def __init__(self, dim=8):
                super().__init__()
                self.stem = Block(dim, hidden_ratio=3)
                self.stack = make_stack(dim, 2)
    """))
    sys.path.insert(0, str(site))
    try:
        expected = torch_keys(import_file(src).Model())
    finally:
        sys.path.remove(str(site))
        for name in [n for n in sys.modules if n == "tinylayers" or n.startswith("tinylayers.")]:
            del sys.modules[name]
    # found through the .venv beside the project, without --python
    run = run_console("keys", f"{src}::Model", "--format", "json")
    assert run.returncode == 0, run.stderr
    assert predicted_keys(json.loads(run.stdout)) == expected
    # and through --python
    run = run_console("keys", f"{src}::Model", "--python", str(venv / "bin" / "python"), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert predicted_keys(json.loads(run.stdout)) == expected
    # and through [tool.ckptguard] python of a project whose interpreter lives elsewhere
    other = tmp_path / "other"
    other.mkdir()
    (other / "model.py").write_text(src.read_text())
    (other / "pyproject.toml").write_text(f'[tool.ckptguard]\npython = "{venv / "bin" / "python"}"\n')
    run = run_console("keys", f"{other / 'model.py'}::Model", "--format", "json")
    assert run.returncode == 0, run.stderr
    assert predicted_keys(json.loads(run.stdout)) == expected


def test_torch_own_source_maps_to_the_catalogue():
    import torch.nn.modules.conv as conv
    import torch.nn.modules.normalization as normalization

    for path, name, config, real in [(conv.__file__, "Conv2d", {"in_channels": "3", "out_channels": "8", "kernel_size": "3"},
                                      torch.nn.Conv2d(3, 8, 3)),
                                     (normalization.__file__, "LayerNorm", {"normalized_shape": "16"}, torch.nn.LayerNorm(16))]:
        args = [a for k, v in config.items() for a in ("--config", f"{k}={v}")]
        run = run_console("keys", f"{path}::{name}", *args, "--format", "json")
        assert run.returncode == 0, run.stderr
        assert predicted_keys(json.loads(run.stdout)) == torch_keys(real)


def test_several_top_level_packages_and_a_src_layout(tmp_path: Path):
    # stylegan2-ada's layout: training/ imports torch_utils/, a sibling package, not on any path
    repo = tmp_path / "repo"
    for pkg in ("training", "torch_utils", "torch_utils/ops"):
        (repo / pkg).mkdir(parents=True)
        (repo / pkg / "__init__.py").write_text("")
    (repo / "torch_utils" / "ops" / "filters.py").write_text(textwrap.dedent("""
        import torch

        def setup_filter(n):
            return torch.ones(n, n)
    """))
    (repo / "training" / "networks.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        from torch_utils.ops import filters


        class Synthesis(nn.Module):
            def __init__(self, n=4):
                super().__init__()
                self.register_buffer("resample_filter", filters.setup_filter(n))
                self.conv = nn.Conv2d(3, n, 3)
    """))
    src_pkg = tmp_path / "srcproj" / "src" / "mypkg"
    src_pkg.mkdir(parents=True)
    (src_pkg / "__init__.py").write_text("")
    (src_pkg / "layers.py").write_text("import torch.nn as nn\n\ndef head(n):\n    return nn.Linear(n, 2)\n")
    (tmp_path / "srcproj" / "train.py").write_text(textwrap.dedent("""
        import torch.nn as nn
        from mypkg.layers import head


        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.head = head(5)
    """))
    sys.path[:0] = [str(repo), str(tmp_path / "srcproj" / "src")]
    try:
        cases = [(repo / "training" / "networks.py", "Synthesis", torch_keys(import_file(repo / "training" / "networks.py").Synthesis())),
                 (tmp_path / "srcproj" / "train.py", "Model", torch_keys(import_file(tmp_path / "srcproj" / "train.py").Model()))]
    finally:
        del sys.path[:2]
    for path, name, expected in cases:
        run = run_console("keys", f"{path}::{name}", "--format", "json")
        assert run.returncode == 0, run.stderr
        assert predicted_keys(json.loads(run.stdout)) == expected
