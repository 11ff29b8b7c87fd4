"""The CASIA-SURF ResNet18-SE fusion baseline (Zhang et al., CVPR 2019; AFA paper Table 8: 13.34 M).

Per modality a ResNet18 trunk up to layer2 (128 channels), an SE block re-weighting that
modality's features, concatenation (384 channels), ResNet18 layer3 and layer4 on the fused
features, global average pooling and one FC → 2 classes.

Adapted to 8×8 inputs: conv1 keeps ResNet18's 7×7 kernel (so the parameter count stays that of
the paper) but runs at stride 1 with no max-pool; layer2, layer3 and layer4 keep stride 2, so
the feature map goes 8 → 4 → 2 → 1. Same interface as AFA: forward returns (logits, None) — the
baseline has no super-resolution output, so training adds no L2 term for it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from engines.afa.network import LIVE_CLASS, MODALITY_CHANNELS, MODALITY_SLICES
from engines.afa.se import SqueezeExcitation


class BasicBlock(nn.Module):
    """ResNet's basic residual block (He et al. 2016)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.residual = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
            )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.residual(x) + self.shortcut(x))


def resnet_stage(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    """Two basic blocks, the first one changing width and stride (a ResNet18 "layer")."""
    return nn.Sequential(BasicBlock(in_channels, out_channels, stride), BasicBlock(out_channels, out_channels))


def modality_trunk(in_channels: int, width: int) -> nn.Sequential:
    """ResNet18 conv1 + layer1 + layer2 for one modality, at stride 1 in conv1 and no max-pool."""
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 7, stride=1, padding=3, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
        resnet_stage(width, width, 1),
        resnet_stage(width, 2 * width, 2),
    )


@dataclass(frozen=True)
class ResNet18SEConfig:
    """``width_multiplier`` scales every width (1.0 = ResNet18's 64-128-256-512)."""

    width_multiplier: float = 1.0

    def __post_init__(self) -> None:
        if not self.width_multiplier > 0:
            raise ValueError(f"width_multiplier={self.width_multiplier!r}: must be > 0 (1.0 = ResNet18 width)")

    def to_dict(self) -> dict:
        return asdict(self)


class ResNet18SEFusion(nn.Module):
    architecture = "resnet18_se"

    def __init__(self, config: ResNet18SEConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ResNet18SEConfig()
        w = max(4, int(round(64 * config.width_multiplier)))
        self.trunks = nn.ModuleList([modality_trunk(c, w) for c in MODALITY_CHANNELS])
        self.reweight = nn.ModuleList([SqueezeExcitation(2 * w) for _ in MODALITY_CHANNELS])
        self.fused = nn.Sequential(resnet_stage(3 * 2 * w, 4 * w, 2), resnet_stage(4 * w, 8 * w, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8 * w, 2)

    def forward(self, faces: torch.Tensor) -> tuple[torch.Tensor, None]:
        features = [se(trunk(faces[:, channels])) for trunk, se, channels in zip(self.trunks, self.reweight, MODALITY_SLICES)]
        fused = self.pool(self.fused(torch.cat(features, dim=1)))
        return self.fc(torch.flatten(fused, 1)), None

    def live_score(self, faces: torch.Tensor) -> torch.Tensor:
        """Softmax probability of the live class, shape (N,)."""
        logits, _ = self.forward(faces)
        return torch.softmax(logits, dim=1)[:, LIVE_CLASS]
