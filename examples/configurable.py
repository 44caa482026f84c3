"""A model whose structure depends on several flags, a string choice and a config dataclass."""
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class HeadConfig:
    hidden: int = 16
    tie_embeddings: bool = False
    num_classes: int = 10


def make_norm(kind, dim):
    if kind == "batch":
        return nn.BatchNorm1d(dim)
    elif kind in ("layer", "rms"):
        return nn.LayerNorm(dim)
    elif kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}")


class ConfigurableNet(nn.Module):
    def __init__(self, vocab=100, norm="batch", use_extra_layer=False, bidirectional=False,
                 use_bias=True, dropout=0.0, head=HeadConfig()):
        super().__init__()
        self.embed = nn.Embedding(vocab, head.hidden)
        self.rnn = nn.GRU(head.hidden, head.hidden, bidirectional=bidirectional, batch_first=True)
        width = head.hidden * (2 if bidirectional else 1)
        self.norm = make_norm(norm, width)
        if use_extra_layer:
            self.extra = nn.Linear(width, width, bias=use_bias)
        if dropout > 0:
            self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(width, head.num_classes if head.num_classes > 0 else vocab, bias=use_bias)
        if head.tie_embeddings and width == head.hidden:
            self.decoder = nn.Linear(head.hidden, vocab, bias=False)
            self.decoder.weight = self.embed.weight
        self.register_buffer("step", torch.zeros((), dtype=torch.long))
