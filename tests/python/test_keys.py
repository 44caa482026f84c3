"""`ckptguard keys`: predictions equal real torch's state_dict; bad input exits 2 in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ckg_testing import REPO, import_file, predicted_keys, run_console, torch_keys

EXAMPLES = REPO / "examples"


def test_flat_example_matches_real_state_dict():
    result = run_console("keys", f"{EXAMPLES / 'flat.py'}::FlatNet", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["target"].endswith("flat.py::FlatNet")
    assert doc["config"] == {}
    assert doc["unresolved"] == []
    model = import_file(EXAMPLES / "flat.py").FlatNet()
    assert predicted_keys(doc) == torch_keys(model)


def test_config_values_reach_the_constructor(tmp_path: Path):
    src = tmp_path / "net.py"
    src.write_text(
        "import torch\nimport torch.nn as nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self, width=4, bias=True, dtype=None, kinds=('a', 'b')):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(width, 2 * width, bias=bias, dtype=dtype)\n"
        "        self.heads = nn.ModuleDict({k: nn.Linear(width, 1) for k in kinds})\n")
    result = run_console("keys", f"{src}::Net", "--config", "width=3", "--config", "bias=False",
                         "--config", "dtype=torch.float16", "--config", "kinds=['x']", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["config"] == {"width": "3", "bias": "False", "dtype": "torch.float16", "kinds": "['x']"}
    model = import_file(src).Net(width=3, bias=False, dtype=torch.float16, kinds=["x"])
    assert predicted_keys(doc) == torch_keys(model)


def test_relative_import_across_a_namespace_package(tmp_path: Path):
    # `tv/` has no __init__.py (PEP 420), so `from ..ops.blocks import block` in tv/models/net.py
    # climbs above the top regular package: CPython resolves it through the namespace package.
    for pkg in ("models", "ops"):
        (tmp_path / "tv" / pkg).mkdir(parents=True)
        (tmp_path / "tv" / pkg / "__init__.py").write_text("")
    (tmp_path / "tv" / "ops" / "blocks.py").write_text(
        "import torch.nn as nn\n"
        "def block(c):\n    return nn.Sequential(nn.Conv2d(c, c, 3), nn.BatchNorm2d(c))\n")
    net = tmp_path / "tv" / "models" / "net.py"
    net.write_text(
        "import torch.nn as nn\nfrom ..ops.blocks import block\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.body = block(4)\n")
    result = run_console("keys", f"{net}::Net", "--format", "json")
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        model = __import__("tv.models.net", fromlist=["Net"]).Net()
    finally:
        sys.path.remove(str(tmp_path))
    assert predicted_keys(json.loads(result.stdout)) == torch_keys(model)


def test_a_classmethod_factory_is_a_target(tmp_path: Path):
    src = tmp_path / "net.py"
    src.write_text(
        "import torch.nn as nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self, width):\n        super().__init__()\n        self.fc = nn.Linear(width, 2)\n"
        "    @classmethod\n"
        "    def from_name(cls, name, extra=1):\n        return cls({'small': 3, 'large': 8}[name] + extra)\n")
    result = run_console("keys", f"{src}::Net.from_name", "--config", "name='large'", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["complete"]
    assert predicted_keys(doc) == torch_keys(import_file(src).Net.from_name(name="large"))
    typo = run_console("keys", f"{src}::Net.from_name", "--config", "nme='large'")
    assert typo.returncode == 2 and "(its parameters: name, extra)" in typo.stderr, typo.stderr


def test_text_output_lists_every_key():
    result = run_console("keys", f"{EXAMPLES / 'flat.py'}::FlatNet")
    assert result.returncode == 0
    model = import_file(EXAMPLES / "flat.py").FlatNet()
    for name in model.state_dict():
        assert f"  {name} " in result.stdout


def test_python_module_entry_point_matches_console():
    a = run_console("keys", f"{EXAMPLES / 'flat.py'}::FlatNet", "--format", "json")
    b = subprocess.run([sys.executable, "-m", "ckptguard", "keys", f"{EXAMPLES / 'flat.py'}::FlatNet", "--format", "json"],
                       capture_output=True, text=True)
    assert b.returncode == 0 and a.stdout == b.stdout


@pytest.mark.parametrize("case, args, fragment", [
    ("missing file", ["keys", "/nonexistent/model.py::Net"], "/nonexistent/model.py: no such file"),
    ("syntax error", ["keys", "{broken}::Net"], ":3: SyntaxError: invalid syntax"),  # as CPython says
    ("unknown class", ["keys", "{good}::Nope"], "no class or function named 'Nope'"),
    ("malformed config", ["keys", "{good}::Net", "--config", "width"], "expected KEY=VALUE"),
    ("config not a literal", ["keys", "{good}::Net", "--config", "width=__import__('os').system('true')"], "must be a Python literal"),
    ("bad format", ["keys", "{good}::Net", "--format", "yaml"], "unknown --format"),
    ("not FILE::NAME", ["keys", "{good}"], "is not FILE::NAME"),
    ("unknown command", ["frobnicate"], "unknown command"),
    ("wrong constructor argument", ["keys", "{good}::Net", "--config", "depth=2"],
     "good.py:3: --config depth: 'Net' takes no parameter 'depth' (its parameters: width)"),
    ("misspelt constructor argument", ["keys", "{good}::Net", "--config", "widht=2"],
     "good.py:3: --config widht: 'Net' takes no parameter 'widht' (did you mean 'width'?) (its parameters: width)"),
    ("misspelt class", ["keys", "{good}::Nte"], "good.py: no class or function named 'Nte' (did you mean 'Net'?)"),
    ("misspelt file", ["keys", "{goood}::Net"], "goood.py: no such file (did you mean '{good}'?)"),
    ("misspelt option", ["keys", "{good}::Net", "--formt", "json"], "unknown option --formt (did you mean '--format'?)"),
    ("misspelt command", ["kyes", "{good}::Net"], "unknown command 'kyes' (did you mean 'keys'?)"),
    ("indentation error", ["keys", "{indented}::Net"], "indented.py:5: IndentationError: unindent does not match any outer"),
    # at the user's layer line, not inside the embedded catalogue (<ckptguard>/torch_nn.py:84)
    ("bad value for a layer", ["keys", "{good}::Net", "--config", "width='a'"], "good.py:5: building 'Net' raised TypeError"),
    ("shell-style boolean", ["keys", "{good}::Net", "--config", "width=true"], "VALUE is Python: True, False, None"),
    ("unquoted string", ["keys", "{good}::Net", "--config", "width=wide"], "strings are quoted, width='wide'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, case, args, fragment):
    broken = tmp_path / "broken.py"
    broken.write_text("import torch.nn as nn\n\nclass Net(nn.Module:\n    pass\n")
    good = tmp_path / "good.py"
    good.write_text("import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self, width=2):\n"
                    "        super().__init__()\n        self.fc = nn.Linear(width, 1)\n")
    indented = tmp_path / "indented.py"  # once: "'Net' is a unknown, not a class or function"
    indented.write_text("import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n"
                        "        super().__init__()\n      self.fc = nn.Linear(2, 1)\n")
    args = [a.format(broken=broken, good=good, indented=indented, goood=tmp_path / "goood.py") for a in args]
    fragment = fragment.format(good=good)
    result = run_console(*args)
    assert result.returncode == 2, (case, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_static_path_never_loads_torch():
    probe = ("import sys, ckptguard\n"
             f"code, out, err = ckptguard.run_cli(['keys', {str(EXAMPLES / 'flat.py')!r} + '::FlatNet'])\n"
             "assert code == 0, err\n"
             "maps = open('/proc/self/maps').read()\n"
             "print('torch' in sys.modules, 'libtorch' in maps, 'libc10' in maps)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False"]


# `complete: true` is a promise: the prediction equals torch's state_dict. Each snippet is built by
# real torch; whatever the interpreter knows or not, a complete prediction must be exact.
COMPLETENESS = {
    "plain layers": ("self.fc = nn.Linear(4, 2)\n        self.norm = nn.BatchNorm1d(2)", True),
    "a functional kept as an attribute": ("self.act = F.relu\n        self.fc = nn.Linear(4, 2)", True),
    "a number from a tensor": ("self.scale = torch.ones(3).sum().item()\n        self.fc = nn.Linear(4, 2)", True),
    "hasattr on torch decides a buffer": (
        "if not hasattr(F, 'scaled_dot_product_attention'):\n"
        "            self.register_buffer('bias', torch.tril(torch.ones(4, 4)))\n        self.fc = nn.Linear(4, 2)", None),
    "hasattr on a name torch never had": (
        "if not hasattr(F, 'no_such_function_anywhere'):\n"
        "            self.extra = nn.Linear(2, 2)\n        self.fc = nn.Linear(4, 2)", None),
    "numpy decides a layer": ("if np.sqrt(16) > 3:\n            self.extra = nn.Linear(2, 2)\n        self.fc = nn.Linear(4, 2)", None),
    "a library model as a part": ("self.backbone = torchvision.models.resnet18()\n        self.fc = nn.Linear(4, 2)", None),
    "a width from numpy": ("self.fc = nn.Linear(int(np.prod([2, 3])), 2)", None),
    "a process group that cannot change keys": (
        "self.main_process = not (torch.distributed.is_available() and torch.distributed.is_initialized())\n"
        "        self.fc = nn.Linear(4, 2)", True),
    "a process group that decides a layer": (
        "if torch.distributed.is_available() and torch.distributed.is_initialized():\n"
        "            self.sync = nn.SyncBatchNorm(2)\n        self.fc = nn.Linear(4, 2)", False),
    "a process group whose size decides a layer": (
        "if torch.distributed.is_available() and torch.distributed.is_initialized():\n"
        "            if torch.distributed.get_world_size() > 1:\n"
        "                self.sync = nn.SyncBatchNorm(2)\n        self.fc = nn.Linear(4, 2)", False),
    "explicit Module.__setattr__": ("for i in reversed(range(1, 3)):\n"
                                    "            self.__setattr__('level_%d' % i, nn.Linear(2, 2))\n"
                                    "        self.fc = nn.Linear(2, 2)", True),
}


@pytest.mark.parametrize("case", COMPLETENESS)
def test_a_complete_prediction_is_exact(tmp_path: Path, case: str):
    body, expected_complete = COMPLETENESS[case]
    src = tmp_path / "net.py"
    src.write_text("import numpy as np\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
                   "import torchvision\n\n"
                   "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        " + body + "\n")
    done = run_console("keys", f"{src}::Net", "--format", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    exact = predicted_keys(doc) == torch_keys(import_file(src).Net())
    assert exact or not doc["complete"], f"claimed complete but wrong: {doc}"
    if expected_complete is not None:
        assert doc["complete"] is expected_complete and exact, doc["incomplete_reasons"]
    if not doc["complete"]:
        assert doc["incomplete_reasons"] and all(r["file"] == str(src) for r in doc["incomplete_reasons"])
    strict = run_console("keys", f"{src}::Net", "--fail-incomplete")
    assert strict.returncode == (0 if doc["complete"] else 1), strict.stdout
