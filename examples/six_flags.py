"""Six independent structural flags: 64 configuration branches (the branch-timing benchmark)."""
import torch.nn as nn


class SixFlags(nn.Module):
    def __init__(self, use_proj=False, use_conv=False, use_norm=True, use_bn=False, use_embed=True, use_rnn=False):
        super().__init__()
        self.base = nn.Linear(8, 8)
        if use_proj:
            self.proj = nn.Linear(8, 4)
        if use_conv:
            self.conv = nn.Conv1d(8, 8, 3)
        if use_norm:
            self.norm = nn.LayerNorm(8)
        if use_bn:
            self.bn = nn.BatchNorm1d(8)
        if use_embed:
            self.embed = nn.Embedding(16, 8)
        if use_rnn:
            self.rnn = nn.GRU(8, 8)
