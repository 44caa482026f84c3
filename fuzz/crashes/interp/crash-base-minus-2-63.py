"""Seed 002: Missing key(s) "layer1.weight", Unexpected key(s) "fc.weight" (a renamed attribute)."""
import torch.nn as nn


class MyModel(nn.Module-2**63):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(1, 4, 3)
        self.fc = nn.Linear(4, 2)
