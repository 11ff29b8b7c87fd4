"""Training checkpoints: model weights plus everything needed to rebuild and resume.

A checkpoint stores its architecture and model config, so a model is always rebuilt as it was
trained; asking for another architecture is an error, not a silent mismatch of weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from engines.architectures import build_model

FORMAT = "edge-fas.checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used as asked."""


def save_checkpoint(path: str | Path, model: nn.Module, **state: Any) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "version": VERSION, "architecture": model.architecture,
               "model_config": model.config.to_dict(), "model_state": model.state_dict(), **state}
    temporary = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, temporary)
    temporary.replace(path)  # atomic: a crash mid-write never leaves a truncated checkpoint


def load_checkpoint(path: str | Path, expected_architecture: str | None = None, map_location: str = "cpu") -> dict:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} not found")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as error:  # torch raises several unrelated types for a corrupt file
        raise CheckpointError(f"checkpoint {path} cannot be read ({error}); it is not a file written by edge-train") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path} is not an edge-fas checkpoint (written by edge-train)")
    if expected_architecture is not None and payload["architecture"] != expected_architecture:
        raise CheckpointError(
            f"checkpoint {path} holds architecture {payload['architecture']!r}, not {expected_architecture!r}: "
            f"pass --architecture {payload['architecture']} or choose a checkpoint of {expected_architecture!r}"
        )
    return payload


def model_from_checkpoint(path: str | Path, expected_architecture: str | None = None) -> tuple[nn.Module, dict]:
    """Rebuild the model a checkpoint describes, with its weights, in eval mode."""
    payload = load_checkpoint(path, expected_architecture)
    model = build_model(payload["architecture"], payload["model_config"])
    model.load_state_dict(payload["model_state"])
    return model.eval(), payload
