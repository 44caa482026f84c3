"""Seed 001, example 2: a layer replaced by one of another type."""
import torch.nn as nn


class ModelC(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3)
