import torch.nn as nn


def conv_block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.BatchNorm2d(cout), nn.ReLU()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = conv_block(3, 8)
