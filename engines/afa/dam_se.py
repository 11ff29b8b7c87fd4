"""DAM with an SE block, DAM-SE (paper Section IV-B, Figure 9)."""

from __future__ import annotations

import torch
from torch import nn

from engines.afa.dam import DAM
from engines.afa.se import SqueezeExcitation


class DAMSE(nn.Module):
    """DAM → one extra convolution → SE, with an extra skip connection around the last two.

    out = ReLU(SE(BN(conv3×3(DAM(x)))) + DAM(x)). The paper names "one additional convolution
    layer"; 3×3 with batch norm is our choice.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.dam = DAM(in_channels, out_channels)
        self.conv = nn.Sequential(
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels)
        )
        self.se = SqueezeExcitation(out_channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.dam(x)
        return self.relu(self.se(self.conv(features)) + features)
