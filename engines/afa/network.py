"""The AFA network: attention-based face anti-spoofing with feature augment (paper Section IV).

Input: one tensor N×5×8×8, channels r, g, b, depth, ir. The RGB branch reads the first three,
the depth and IR branches one each; every MFAM reads all five. Training-mode forward returns
(logits N×2, super-resolved N×5×16×16); ``live_score`` gives the deployed output.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass

import torch
from torch import nn

from engines.afa.branch import ModalityBranch
from engines.afa.dam import DAM
from engines.afa.feature_augment import Upsampling

#: Channels of each modality in the input tensor, in order r,g,b | depth | ir.
MODALITY_CHANNELS = (3, 1, 1)
#: Where each modality's channels lie in the input tensor.
MODALITY_SLICES = tuple(slice(sum(MODALITY_CHANNELS[:i]), sum(MODALITY_CHANNELS[: i + 1])) for i in range(len(MODALITY_CHANNELS)))
#: Index of the "live" class in the logits (live = positive, ISO/IEC 30107-3 as used by the paper's metrics).
LIVE_CLASS = 1


class AugmentKind(str, enum.Enum):
    """Which feature augment module each branch uses (Table 11: MFAM vs SFAM)."""

    MFAM = "mfam"
    SFAM = "sfam"


@dataclass(frozen=True)
class AFAConfig:
    """Widths at multiplier 1.0 are the paper-width configuration (Table 8: 17.84 M parameters).

    The paper prints no widths; these give 18.11 M (+1.5 %) and follow the FaceBagNet SE-fusion
    template for the fusion stage (concat → 1×1 conv 384 → stages 256 and 512 → FC 256 → 2).
    Counted: every trainable parameter of the training-mode network. None is training-only — the
    SR image feeds the classifier through the input block (IV-C) — so the deployed graph has the
    same count; batch-norm running statistics are buffers and not counted.
    """

    width_multiplier: float = 1.0
    augment: str = AugmentKind.MFAM.value
    upsampling: str = Upsampling.NEAREST.value
    stem_width: int = 64
    augment_width: int = 96
    branch_width: int = 128
    fusion_width: int = 384
    fusion_dam_widths: tuple[int, int] = (256, 512)
    fc_hidden: int = 256
    dropout: float = 0.5

    def __post_init__(self) -> None:
        if not self.width_multiplier > 0:
            raise ValueError(f"width_multiplier={self.width_multiplier!r}: must be > 0 (1.0 = paper width)")
        if self.augment not in {k.value for k in AugmentKind}:
            raise ValueError(f"augment={self.augment!r}: use 'mfam' (paper) or 'sfam' (Table 11 ablation)")
        if self.upsampling not in {u.value for u in Upsampling}:
            raise ValueError(f"upsampling={self.upsampling!r}: use 'nearest' (paper) or 'transposed_conv' (Table 12)")
        object.__setattr__(self, "fusion_dam_widths", tuple(self.fusion_dam_widths))

    def scaled(self, width: int) -> int:
        """Width times the multiplier, rounded, at least 4 channels."""
        return max(4, int(round(width * self.width_multiplier)))

    def to_dict(self) -> dict:
        return asdict(self)


class AFA(nn.Module):
    architecture = "afa"

    def __init__(self, config: AFAConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or AFAConfig()
        s = config.scaled
        in_channels = sum(MODALITY_CHANNELS)
        self.branches = nn.ModuleList(
            [
                ModalityBranch(
                    modality_channels=c,
                    augment_sources=MODALITY_CHANNELS if config.augment == AugmentKind.MFAM.value else (c,),
                    stem_width=s(config.stem_width),
                    augment_width=s(config.augment_width),
                    branch_width=s(config.branch_width),
                    upsampling=config.upsampling,
                )
                for c in MODALITY_CHANNELS
            ]
        )
        fusion, (dam1, dam2) = s(config.fusion_width), (s(w) for w in config.fusion_dam_widths)
        self.fuse = nn.Sequential(
            nn.Conv2d(3 * s(config.branch_width), fusion, 1, bias=False),
            nn.BatchNorm2d(fusion),
            nn.ReLU(inplace=True),
        )
        # Each fusion DAM halves the size (8 → 4 → 2) like the template's residual stages (IV-A gives no strides).
        self.dams = nn.Sequential(DAM(fusion, dam1, stride=2), DAM(dam1, dam2, stride=2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        # Dropout before the FCs as in the FaceBagNet template (IV-A does not mention it).
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(config.dropout),
            nn.Linear(dam2, s(config.fc_hidden)),
            nn.ReLU(inplace=True),
            nn.Linear(s(config.fc_hidden), 2),
        )

    def forward(self, faces: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features, super_resolved = [], []
        for branch, channels in zip(self.branches, MODALITY_SLICES):
            modality = faces[:, channels]
            augment_input = faces if self.config.augment == AugmentKind.MFAM.value else modality
            f, sr = branch(modality, augment_input)
            features.append(f)
            super_resolved.append(sr)
        fused = self.dams(self.fuse(torch.cat(features, dim=1)))
        return self.classifier(self.pool(fused)), torch.cat(super_resolved, dim=1)

    def live_score(self, faces: torch.Tensor) -> torch.Tensor:
        """Softmax probability of the live class, shape (N,): the deployed output."""
        logits, _ = self.forward(faces)
        return torch.softmax(logits, dim=1)[:, LIVE_CLASS]
