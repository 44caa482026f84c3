"""Invalid layer arguments are refused as torch 1.13 refuses them: the same exception type and
message (torch's asserts are AssertionErrors), reported at the user's line. Ground truth is real
torch building the same layer."""

from __future__ import annotations

import re
import textwrap

import pytest
import torch.nn as nn

from ckg_testing import run_console

INVALID = [
    "nn.Conv2d(4, 4, 3, groups=0)",
    "nn.Conv2d(3, 4, 3, groups=2)",
    "nn.Conv2d(3, 3, 3, padding='x')",
    "nn.Conv2d(3, 3, 3, padding='same', stride=2)",
    "nn.Conv2d(3, 3, 3, padding_mode='x')",
    "nn.ConvTranspose1d(3, 3, 3, padding_mode='reflect')",
    "nn.GroupNorm(3, 4)",
    "nn.Embedding(4, 2, padding_idx=5)",
    "nn.Embedding(4, 2, padding_idx=-5)",
    "nn.LSTM(2, 2, dropout=2)",
    "nn.LSTM(2, 2, proj_size=-1)",
    "nn.LSTM(2, 2, proj_size=3)",
    "nn.RNN(2, 2, proj_size=1)",
    "nn.RNN(2, 2, nonlinearity='x')",
    "nn.Hardtanh(1, 0)",
    "nn.MultiheadAttention(8, 3)",
    "nn.FractionalMaxPool2d(2)",
    "nn.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5)",
    "nn.FractionalMaxPool2d(2, output_ratio=1.5)",
    "nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 1.5))",
    "nn.Dropout(2)",
    "nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3])",
    "nn.TransformerEncoderLayer(8, 2, activation='x')",
    "nn.Unflatten(1, 3)",
    "nn.Unflatten(1, (3, 2.0))",
    "nn.Unflatten('a', [('x', 2)])",
    "nn.Unflatten('a', (2,))",
    "nn.Unflatten(1.0, (2,))",
    "nn.MultiMarginLoss(p=3)",
]


def torch_refusal(expression: str) -> tuple[str, str]:
    try:
        eval(expression, {"nn": nn})  # noqa: S307 - the test's own literal expressions
    except Exception as e:  # noqa: BLE001 - whatever torch raises is the expectation
        return type(e).__name__, str(e)
    raise AssertionError(f"torch accepts {expression}")


def unordered_sets(message: str) -> str:
    """torch prints Python sets, whose order changes from run to run: compare their items."""
    return re.sub(r"\{([^{}]*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", message)


@pytest.mark.parametrize("expression", INVALID)
def test_invalid_layer_is_refused_as_torch_refuses_it(tmp_path, expression):
    kind, message = torch_refusal(expression)
    model = tmp_path / "model.py"
    model.write_text(textwrap.dedent(f"""\
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.layer = {expression}
        """))
    done = run_console("keys", f"{model}::Net")
    assert done.returncode == 2, done.stdout
    line = done.stderr.strip()
    expected = f"{model}:6: building 'Net' raised {kind}" + (f": {message}" if message else "")
    assert unordered_sets(line) == unordered_sets(expected)
