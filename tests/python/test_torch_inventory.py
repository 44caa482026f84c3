"""The torch API inventory (cmake/torch_inventory.py, embedded at build time) against the real
torch: for every public name of every module and class it covers, hasattr() in interpreted model
code answers as the installed torch does, and names torch does not have are absent.

Generated at test time from dir() of the real modules: one model per module counts its hasattr
hits into a buffer's size, built both by real torch and by ckptguard.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import ckptguard
from ckg_testing import import_file, predicted_keys, run_console, torch_keys

# (expression reaching the object in model source, the object)
COVERED = [
    "torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.utils", "torch.nn.utils.parametrize",
    "torch.nn.utils.parametrizations", "torch.nn.utils.rnn", "torch.linalg", "torch.fft", "torch.special", "torch.jit",
    "torch.cuda", "torch.backends", "torch.autograd", "torch.distributed", "torch.Tensor", "torch.nn.Module",
    "torch.nn.Parameter",
]
# Names that recent torch releases have and 1.13 does not, and names no torch has.
ABSENT = ["scaled_dot_product_attention", "compile", "no_such_name_at_all", "rms_norm", "RMSNorm", "_ckptguard"]

IMPORTS = "import torch\nimport torch.nn\nimport torch.nn.functional\nimport torch.nn.init\nimport torch.nn.utils\n" \
          "import torch.nn.utils.parametrize\nimport torch.nn.utils.parametrizations\nimport torch.nn.utils.rnn\n" \
          "import torch.linalg\nimport torch.fft\nimport torch.special\nimport torch.jit\nimport torch.cuda\n" \
          "import torch.backends\nimport torch.autograd\nimport torch.distributed\n"


def real(expression: str):
    return eval(expression, {"torch": torch})


@pytest.mark.parametrize("expression", COVERED)
def test_hasattr_answers_as_the_installed_torch(expression: str, tmp_path: Path):
    obj = real(expression)
    public = sorted(n for n in dir(obj) if not n.startswith("_"))
    absent = [n for n in ABSENT if not hasattr(obj, n)]
    src = tmp_path / "inventory_model.py"
    src.write_text(IMPORTS + f"""
PRESENT = {public!r}
ABSENT = {absent!r}


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        present = 0
        for name in PRESENT:
            if hasattr({expression}, name):
                present += 1
        wrong = 0
        for name in ABSENT:
            if hasattr({expression}, name):
                wrong += 1
        self.register_buffer("present", torch.zeros(present))
        self.register_buffer("wrongly_present", torch.zeros(wrong))
""")
    expected = torch_keys(import_file(src).Net())
    assert expected == [("present", "buffer", [len(public)], "float32"), ("wrongly_present", "buffer", [0], "float32")]
    doc = ckptguard.predict_keys(f"{src}::Net", {})
    assert predicted_keys(doc) == expected


def test_json_states_the_torch_version(tmp_path: Path):
    src = tmp_path / "tiny.py"
    src.write_text("import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                   "        self.fc = nn.Linear(2, 3)\n")
    assert ckptguard.predict_keys(f"{src}::Net", {})["torch"] == "1.13.1"
    run = run_console("keys", f"{src}::Net", "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["torch"] == "1.13.1"
    run = run_console("branches", f"{src}::Net", "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["torch"] == "1.13.1"
