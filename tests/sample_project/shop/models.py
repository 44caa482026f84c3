"""Models of the sample project: conditional modules, helper-built stacks, a config dataclass,
a class with a required argument, and one that cannot be built without a live backbone."""
from dataclasses import dataclass

import torch
import torch.nn as nn

from .blocks import Residual, make_stack


class ConditionalNet(nn.Module):
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
        return self.linear3(x) if hasattr(self, "linear3") else x


class StackNet(nn.Module):
    def __init__(self, depth=2, channels=4, norm="batch"):
        super().__init__()
        self.stem = nn.Conv2d(3, channels, 3, padding=1)
        self.body = make_stack(depth, channels, norm)
        self.head = nn.Linear(channels, 10)


@dataclass
class NetConfig:
    hidden: int = 16
    use_attention: bool = False
    num_heads: int = 2


class ConfigNet(nn.Module):
    def __init__(self, cfg=NetConfig()):
        super().__init__()
        self.embed = nn.Embedding(100, cfg.hidden)
        if cfg.use_attention:
            self.attn = nn.MultiheadAttention(cfg.hidden, cfg.num_heads)
        self.out = nn.Linear(cfg.hidden, 100)
        self.register_buffer("step", torch.zeros((), dtype=torch.long))


class Encoder(nn.Module):
    def __init__(self, in_channels, width=8):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, width, 3)
        self.block = Residual(width)


class Adapter(nn.Module):
    def __init__(self, backbone, out_features=10):
        super().__init__()
        self.backbone = backbone
        self.fc = nn.Linear(16, out_features)
