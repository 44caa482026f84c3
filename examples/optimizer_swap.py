"""Seed scenario: optimizer state restored by position. Swapping registration order keeps the
model state_dict loadable (it is keyed by name) but puts Adam's moments on the wrong parameters."""
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, swap=False, extra=False):
        super().__init__()
        if swap:
            self.norm = nn.BatchNorm1d(3)
            self.proj = nn.Linear(2, 3)
        else:
            self.proj = nn.Linear(2, 3)
            self.norm = nn.BatchNorm1d(3)
        if extra:
            self.head = nn.Linear(3, 1)

    def forward(self, x):
        x = self.norm(self.proj(x))
        return self.head(x) if hasattr(self, "head") else x
