"""Feature augment modules SFAM and MFAM (paper Section IV-C, Figures 10 and 11).

Both reconstruct a 16×16 image of one modality from the 8×8 degraded input: convolution block
and DAM extract features, SE re-weights them, a ×2 upsampling and a second DAM work at 16×16,
and one convolution maps back to image space. SFAM sees only its own modality; MFAM sees all
three (each through its own convolution block, then concatenated) to use the complementary
information of the other two.
"""

from __future__ import annotations

import enum

import torch
from torch import nn

from engines.afa.conv_block import ConvBlock
from engines.afa.dam import DAM
from engines.afa.se import SqueezeExcitation


class Upsampling(str, enum.Enum):
    """The ×2 upsampling operator compared in Table 12."""

    NEAREST = "nearest"
    TRANSPOSED_CONV = "transposed_conv"


def make_upsampling(kind: Upsampling | str, channels: int) -> nn.Module:
    kind = Upsampling(kind)
    if kind is Upsampling.NEAREST:
        return nn.Upsample(scale_factor=2, mode="nearest")
    # Kernel 2, stride 2: the smallest transposed convolution that doubles the size exactly (Table 12 gives no kernel).
    return nn.ConvTranspose2d(channels, channels, kernel_size=2, stride=2)


class FeatureAugment(nn.Module):
    """SFAM when given one modality's channels, MFAM when given all three.

    ``source_channels``: channels of each modality this module reads, e.g. (3, 1, 1) for MFAM
    or (1,) for the depth SFAM; the forward takes those modalities as one concatenated tensor.
    ``out_channels``: channels of the reconstructed modality (3 for RGB, 1 for depth or IR).
    """

    def __init__(
        self,
        source_channels: tuple[int, ...],
        out_channels: int,
        width: int,
        upsampling: Upsampling | str = Upsampling.NEAREST,
    ) -> None:
        super().__init__()
        self.source_channels = tuple(source_channels)
        self.extract = nn.ModuleList([ConvBlock(c, width) for c in self.source_channels])
        # MFAM: the DAM fuses the concatenated per-modality features down to ``width`` before the
        # SE (order of Fig. 10 kept for both; IV-C says the SE re-weights the three modalities' features).
        self.dam_low = DAM(width * len(self.source_channels), width)
        self.se = SqueezeExcitation(width)
        self.upsample = make_upsampling(upsampling, width)
        self.dam_high = DAM(width, width)
        # One 3×3 convolution back to image space, linear output (the SR target is a normalised image).
        self.to_image = nn.Conv2d(width, out_channels, 3, padding=1)

    def forward(self, sources: torch.Tensor) -> torch.Tensor:
        parts = torch.split(sources, list(self.source_channels), dim=1)
        features = torch.cat([block(part) for block, part in zip(self.extract, parts)], dim=1)
        features = self.se(self.dam_low(features))
        return self.to_image(self.dam_high(self.upsample(features)))
