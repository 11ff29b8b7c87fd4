"""The depthwise separable attention module, DAM (paper Section IV-B, Figure 8).

DAM is a pair of residual blocks (ResNet's basic block, [42]) with two multiplicative attention
branches: the first block carries a spatial attention map computed by a group convolution with
groups = gcd(in, out); the second carries channel attention.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from engines.afa.se import SqueezeExcitation


def _shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    if in_channels == out_channels and stride == 1:
        return nn.Identity()
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
    )


def _residual_path(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class SpatialAttentionBlock(nn.Module):
    """Residual block whose residual path is multiplied by a spatial attention map."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.residual = _residual_path(in_channels, out_channels, stride)
        # The map is computed from the block's input, per output channel, with a 3×3 group conv
        # and a sigmoid (IV-B fixes only the group count; kernel, input and squashing are ours).
        self.attention = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1,
                      groups=math.gcd(in_channels, out_channels)),
            nn.Sigmoid(),
        )
        self.shortcut = _shortcut(in_channels, out_channels, stride)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.residual(x) * self.attention(x) + self.shortcut(x))


class ChannelAttentionBlock(nn.Module):
    """Residual block whose residual path is re-weighted per channel (SE-style, as SE-ResNet)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.residual = _residual_path(channels, channels, 1)
        self.attention = SqueezeExcitation(channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.attention(self.residual(x)) + x)


class DAM(nn.Module):
    """Spatial-attention block (may change width and stride) followed by a channel-attention block."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.spatial = SpatialAttentionBlock(in_channels, out_channels, stride)
        self.channel = ChannelAttentionBlock(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.channel(self.spatial(x))
