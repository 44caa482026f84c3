import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
<<<<<<< HEAD
        self.fc = nn.Linear(4, 2)
=======
        self.fc = nn.Linear(4, 3)
>>>>>>> feature
