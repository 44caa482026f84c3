"""Seed scenario: conditional module creation (the ConditionalModel from the seed articles).

A checkpoint saved with use_extra_layer=True does not load into use_extra_layer=False.
"""
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

    def forward(self, x):
        x = self.linear2(self.relu(self.linear1(x)))
        if hasattr(self, "linear3"):
            x = self.linear3(x)
        return x
