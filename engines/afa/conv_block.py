"""The input convolution block of each AFA branch (paper Section IV-A).

Three identical modules of 3×3 convolution, batch normalisation and ReLU. The same block (the
same weights) maps the super-resolved 16×16 image of the feature augment module back to 8×8
features (Section IV-C), so ``forward`` takes the stride of its first convolution as an argument.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ConvModule(nn.Sequential):
    """3×3 convolution → batch norm → ReLU (one of the block's three identical modules)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class ConvBlock(nn.Module):
    """Three ConvModules; ``stride`` applies to the first convolution only (our choice, IV-C
    says only that the block runs at stride 2 on the upsampled image)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.modules_ = nn.ModuleList(
            [ConvModule(in_channels, out_channels), ConvModule(out_channels, out_channels),
             ConvModule(out_channels, out_channels)]
        )

    def forward(self, x: torch.Tensor, stride: int = 1) -> torch.Tensor:
        first = self.modules_[0]
        conv, norm, relu = first[0], first[1], first[2]
        # Reuse the first convolution's weights at the requested stride (shared-weights reading of IV-C).
        x = relu(norm(F.conv2d(x, conv.weight, None, stride=stride, padding=1)))
        for module in self.modules_[1:]:
            x = module(x)
        return x
