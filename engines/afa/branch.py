"""One modality branch of AFA (paper Section IV-A, Figure 7).

Two sub-branches: the input convolution block on the 8×8 input, and the same block at stride 2
on the feature augment module's 16×16 reconstruction; their features are concatenated and fused
by a 1×1 convolution, then DAM-SE processes them and an SE block re-weights them for fusion.
"""

from __future__ import annotations

import torch
from torch import nn

from engines.afa.conv_block import ConvBlock
from engines.afa.dam_se import DAMSE
from engines.afa.feature_augment import FeatureAugment, Upsampling
from engines.afa.se import SqueezeExcitation


class ModalityBranch(nn.Module):
    """Returns (features for fusion, super-resolved 16×16 image of this modality)."""

    def __init__(
        self,
        modality_channels: int,
        augment_sources: tuple[int, ...],
        stem_width: int,
        augment_width: int,
        branch_width: int,
        upsampling: Upsampling | str,
    ) -> None:
        super().__init__()
        self.stem = ConvBlock(modality_channels, stem_width)
        self.augment = FeatureAugment(augment_sources, modality_channels, augment_width, upsampling)
        # 1×1 conv + BN + ReLU to fuse the two sub-branches (IV-A names the 1×1 conv; BN/ReLU are ours).
        self.fuse = nn.Sequential(
            nn.Conv2d(2 * stem_width, branch_width, 1, bias=False),
            nn.BatchNorm2d(branch_width),
            nn.ReLU(inplace=True),
        )
        self.dam_se = DAMSE(branch_width, branch_width)
        self.reweight = SqueezeExcitation(branch_width)

    def forward(self, modality: torch.Tensor, augment_input: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        super_resolved = self.augment(augment_input)
        original = self.stem(modality)
        recovered = self.stem(super_resolved, stride=2)
        features = self.dam_se(self.fuse(torch.cat([original, recovered], dim=1)))
        return self.reweight(features), super_resolved
