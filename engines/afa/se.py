"""Squeeze-and-excitation channel re-weighting (Hu et al.; used by AFA in Sections IV-A/B/C)."""

from __future__ import annotations

import torch
from torch import nn


class SqueezeExcitation(nn.Module):
    """Global average pool → FC → ReLU → FC → sigmoid → scale each channel.

    ``reduction`` 16 as in the SE paper (AFA does not print it); the hidden width never drops
    below ``min_hidden`` so that narrow width multipliers keep a working bottleneck.
    """

    def __init__(self, channels: int, reduction: int = 16, min_hidden: int = 4) -> None:
        super().__init__()
        hidden = max(channels // reduction, min_hidden)
        self.pool = nn.AdaptiveAvgPool2d(1)
        # 1×1 convolutions instead of Linear layers: same maths, no reshape in the exported graph.
        self.excite = nn.Sequential(
            nn.Conv2d(channels, hidden, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.excite(self.pool(x))
