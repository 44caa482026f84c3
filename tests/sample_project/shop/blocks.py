"""Building blocks: helper functions that build stacks, and a block with a required argument."""
import torch.nn as nn


def make_norm(kind, channels):
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        return nn.GroupNorm(2, channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}")


def make_stack(depth, channels, norm):
    layers = []
    for _ in range(depth):
        layers.append(nn.Conv2d(channels, channels, 3, padding=1))
        layers.append(make_norm(norm, channels))
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Residual(nn.Module):
    def __init__(self, channels, use_bn=True):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=not use_bn)
        self.bn = nn.BatchNorm2d(channels) if use_bn else nn.Identity()

    def forward(self, x):
        return x + self.bn(self.conv(x))
