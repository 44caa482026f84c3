"""Seed 000, example 1: the order of layers in nn.Sequential names the keys."""
import torch.nn as nn


class OrderedMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
