import torch.nn as nn


class Net(nn.Module):
    def __init__(self, width=16,
                 depth=2):
        super().__init__()
        layers = [nn.Conv2d(3, width, 3), \
                  nn.ReLU()]
        self.features = nn.Sequential(*layers,
                                      nn.Conv2d(width, width, 3, bias=False,
                                                padding=1),
                                      )
        x = 1 if depth else 2  # comment: with colon
        self.head = nn.Linear(width, 10)  # noqa
        match = None
        case = {"a": 1}
        print(match, case)
