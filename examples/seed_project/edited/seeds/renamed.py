"""Seed 002: Missing key(s) "layer1.weight", Unexpected key(s) "fc.weight" (a renamed attribute)."""
import torch.nn as nn


class MyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.layer1 = nn.Linear(4, 2)  # was self.fc
