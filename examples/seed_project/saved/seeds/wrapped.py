"""Seed 003: weights saved from an nn.DataParallel wrapper carry a 'module.' prefix."""
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Linear(8, 4)
        self.head = nn.Linear(4, 2)
