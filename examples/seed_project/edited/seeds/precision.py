"""Seed 001, section 2: a tensor's precision changed (float16 saved, float32 loaded)."""
import torch
import torch.nn as nn


class ScaledNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.register_buffer("scale", torch.ones(4))  # was dtype=torch.float16
