"""The model's sidecar: a JSON file beside the ONNX model (``afa.onnx`` → ``afa.json``).

It says everything the daemon needs to feed the model and read its output: the input tensor
(name, layout, channel order, size), the preprocessing spec it was trained with
(``edge.processing.spec.PreprocessSpec.to_dict()``), the output's meaning, thresholds per camera
model with the policy that chose them and the uncertain band, the training data and metrics,
and the sha256 of the model file — checked on every load.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SCHEMA_NAME = "edge-fas.model-sidecar"
SCHEMA_VERSION = 1
DEFAULT_CAMERA = "default"


class SidecarError(ValueError):
    """A sidecar that is missing, malformed, or does not match its model file."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelInfo(_Frozen):
    architecture: Literal["afa", "resnet18_se"]
    width_multiplier: float = Field(gt=0)
    config: dict[str, Any]
    parameter_count: int = Field(gt=0)
    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class InputSpec(_Frozen):
    name: Literal["faces"] = "faces"
    layout: Literal["NCHW"] = "NCHW"
    channels: tuple[str, ...] = ("r", "g", "b", "depth", "ir")
    size_px: int = Field(8, gt=0)
    dtype: Literal["float32"] = "float32"


class OutputSpec(_Frozen):
    name: Literal["live_score"] = "live_score"
    meaning: str = "softmax probability of live, shape (N,); predict live iff live_score >= threshold"


class Thresholds(_Frozen):
    """``per_camera`` maps a camera model ("sr300", "dcam710") to its threshold; "default" is required.

    A score within ``uncertain_half_width`` of the threshold is reported as uncertain.
    """

    per_camera: dict[str, float]
    policy: str
    uncertain_half_width: float = Field(0.05, ge=0, lt=0.5)

    @field_validator("per_camera")
    @classmethod
    def _check(cls, value: dict[str, float]) -> dict[str, float]:
        if DEFAULT_CAMERA not in value:
            raise ValueError(f"per_camera needs a {DEFAULT_CAMERA!r} entry (used for unlisted cameras); got {sorted(value)}")
        bad = {k: v for k, v in value.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"thresholds must lie in [0, 1] (scores are probabilities); got {bad}")
        return value

    def for_camera(self, camera_model: str) -> float:
        return self.per_camera.get(camera_model, self.per_camera[DEFAULT_CAMERA])


class Sidecar(_Frozen):
    schema_name: Literal["edge-fas.model-sidecar"] = SCHEMA_NAME
    schema_version: Literal[1] = SCHEMA_VERSION
    model: ModelInfo
    input: InputSpec = InputSpec()
    output: OutputSpec = OutputSpec()
    preprocess: dict[str, Any]
    thresholds: Thresholds
    training_data: dict[str, Any]
    metrics: dict[str, Any] = {}


def sidecar_path(model_path: str | Path) -> Path:
    """Where a model's sidecar lives: same folder and stem, suffix ``.json``."""
    return Path(model_path).with_suffix(".json")


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_sidecar(sidecar: Sidecar, model_path: str | Path) -> Path:
    path = sidecar_path(model_path)
    path.write_text(json.dumps(sidecar.model_dump(mode="json"), indent=2, sort_keys=True) + "\n")
    return path


def load_sidecar(model_path: str | Path, verify_sha256: bool = True) -> Sidecar:
    """Read ``<model>.json`` and check it describes ``model_path`` (file name and sha256)."""
    model_path, path = Path(model_path), sidecar_path(model_path)
    if not path.is_file():
        raise SidecarError(f"sidecar {path} not found: export the model with `edge-export`, which writes it beside {model_path.name}")
    try:
        sidecar = Sidecar.model_validate(json.loads(path.read_text()))
    except (json.JSONDecodeError, ValidationError) as error:
        raise SidecarError(f"sidecar {path} is invalid: {error}") from error
    if verify_sha256:
        if not model_path.is_file():
            raise SidecarError(f"model file {model_path} not found beside its sidecar {path}")
        actual = file_sha256(model_path)
        if actual != sidecar.model.sha256:
            raise SidecarError(
                f"model file {model_path} has sha256 {actual}, but its sidecar {path} expects {sidecar.model.sha256}: "
                "the model was replaced or corrupted; re-export it with `edge-export` (which rewrites both files)"
            )
    return sidecar
