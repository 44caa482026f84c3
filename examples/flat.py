"""A flat model: every layer assigned in __init__ with literal arguments."""
import torch.nn as nn


class FlatNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(100, 16, padding_idx=0)
        self.conv1d = nn.Conv1d(16, 32, kernel_size=3, padding=1)
        self.conv2d = nn.Conv2d(3, 8, 5, stride=2, bias=False)
        self.conv3d = nn.Conv3d(8, 4, (1, 3, 3))
        self.bn1d = nn.BatchNorm1d(32)
        self.bn2d = nn.BatchNorm2d(8, affine=False)
        self.norm = nn.LayerNorm([32, 7])
        self.head = nn.Linear(32, 10)

    def forward(self, tokens, image, volume):
        x = self.bn1d(self.conv1d(self.embed(tokens).transpose(1, 2)))
        return self.head(self.norm(x).mean(-1)), self.bn2d(self.conv2d(image)), self.conv3d(volume)
