"""Seed 000, example 2: conditional module instantiation."""
import torch.nn as nn


class ConditionalModel(nn.Module):
    def __init__(self, use_extra_layer=False):
        super().__init__()
        self.linear1 = nn.Linear(10, 5)
        self.relu = nn.ReLU()
        if use_extra_layer:
            self.linear2 = nn.Linear(5, 3)
            self.linear3 = nn.Linear(3, 2)
        else:
            self.linear2 = nn.Linear(5, 2)
