"""A small CNN for 28x28 MNIST digits: 9,098 parameters, so that a round trains in seconds on a CPU."""

from __future__ import annotations

import torch
from torch import nn


class Net(nn.Module):
    """conv 3x3x8 -> relu -> max-pool 2 -> conv 3x3x16 -> relu -> max-pool 2 -> dense 10 (logits)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def untrained(seed: int = 0) -> Net:
    """The model with PyTorch's default initialisation under ``seed``: the same weights on every machine."""
    torch.manual_seed(seed)
    return Net()
