import torch.nn as nn


class Net(nn.Module):
    def __init__(self, use_bn=True):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        if use_bn
            self.bn = nn.BatchNorm2d(8)
        self.head = nn.Linear(8, 2)
