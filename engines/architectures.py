"""Build a model from its architecture name and config dict (what checkpoints and sidecars store)."""

from __future__ import annotations

from torch import nn

from engines.afa import AFA, AFAConfig
from engines.baseline import ResNet18SEConfig, ResNet18SEFusion

ARCHITECTURES: dict[str, tuple[type[nn.Module], type]] = {
    "afa": (AFA, AFAConfig),
    "resnet18_se": (ResNet18SEFusion, ResNet18SEConfig),
}


def build_model(architecture: str, config: dict | None = None) -> nn.Module:
    """``architecture`` is "afa" or "resnet18_se"; ``config`` the keyword arguments of its config class."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture={architecture!r} is unknown: use one of {sorted(ARCHITECTURES)}")
    model_class, config_class = ARCHITECTURES[architecture]
    try:
        return model_class(config_class(**(config or {})))
    except TypeError as error:
        raise ValueError(f"config for architecture {architecture!r} is invalid: {error}") from error


def parameter_count(model: nn.Module) -> int:
    """Trainable parameters (BN running statistics are buffers, not counted)."""
    return sum(p.numel() for p in model.parameters())
