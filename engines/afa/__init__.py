"""AFA (Chen et al., IEEE Access 2021, Section IV) rebuilt in PyTorch, one module per file."""

from engines.afa.feature_augment import Upsampling
from engines.afa.network import AFA, LIVE_CLASS, MODALITY_CHANNELS, AFAConfig, AugmentKind

__all__ = ["AFA", "AFAConfig", "AugmentKind", "LIVE_CLASS", "MODALITY_CHANNELS", "Upsampling"]
