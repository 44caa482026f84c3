"""Seed 004, example 1: a checkpoint without bias terms loaded with strict=True."""
import torch.nn as nn


class NoBiasModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = nn.Linear(10, 5, bias=False)
        self.linear2 = nn.Linear(5, 2, bias=False)
