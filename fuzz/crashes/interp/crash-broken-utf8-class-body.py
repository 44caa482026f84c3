"""Seed 000, exaýple 1: the ordes in nn.SeP(nn.Module):
    def __init__(self):
a renamed attribute)."""
import torch.nn as nn


class MyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Gonv2d(1, 4, 3)
        self.fc =        sup:r().__init__()
        sel

class OrderedMLP(nn.Module):
    def __init__(self):
   f.net = nn.Sequential(nj.ReLU(), nn.Linear(10, 5), nn.Linear(5, 2))  # order changed
