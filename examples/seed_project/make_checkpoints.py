"""Write saved/ckpts/: one reference checkpoint per seed scenario, saved by the code in saved/seeds.

Run: .venv/bin/python examples/seed_project/make_checkpoints.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "saved"))

from seeds import bias, conditional, layer_count, layer_type, module_order, precision, renamed, resized, wrapped  # noqa: E402


def main() -> None:
    out = HERE / "saved" / "ckpts"
    out.mkdir(exist_ok=True)
    torch.manual_seed(0)
    saves = {
        "module_order": module_order.OrderedMLP(),
        "conditional_extra": conditional.ConditionalModel(use_extra_layer=True),
        "layer_count": layer_count.ModelA(),
        "layer_type": layer_type.ModelC(),
        "precision": precision.ScaledNet(),
        "renamed": renamed.MyModel(),
        "resized": resized.SimpleModel(),
        "wrapped": wrapped.Classifier(),
        "bias": bias.NoBiasModel(),
    }
    for name, model in saves.items():
        torch.save(model.state_dict(), out / f"{name}.pt")
    # seed 003: the training script saved the DataParallel wrapper's state_dict ('module.' keys)
    torch.save(torch.nn.DataParallel(saves["wrapped"]).state_dict(), out / "wrapped_dataparallel.pt")


if __name__ == "__main__":
    main()
