"""Seed 003: a layer's output size changed (size mismatch for linear.weight)."""
import torch.nn as nn


class SimpleModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(10, 6)  # was nn.Linear(10, 5)
