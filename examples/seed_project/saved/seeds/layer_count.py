"""Seed 001, example 1 (and 004): a layer removed from the architecture."""
import torch.nn as nn


class ModelA(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = nn.Linear(10, 5)
        self.linear2 = nn.Linear(5, 2)
