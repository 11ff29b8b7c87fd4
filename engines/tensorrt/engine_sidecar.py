"""The engine's sidecar: a JSON file beside each engine (``<engine>.engine.json``) with the facts
it was built for and the sha256 of the engine file itself.

The cache key already names the file by these facts; the sidecar is what lets the cache *say*
which fact changed (TensorRT upgraded, another GPU, FP32 asked for) and catch an engine file that
was truncated or replaced after it was written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engines.tensorrt.atomic import atomic_write_text
from engines.tensorrt.cache_key import EngineKey

SCHEMA_NAME = "edge-fas.engine-sidecar"
SCHEMA_VERSION = 1

#: Sidecar field → how a mismatch reads in the rebuild reason.
_FACT_NAMES = {
    "model_sha256": "model sha256",
    "tensorrt_version": "TensorRT version",
    "gpu_name": "GPU",
    "compute_capability": "compute capability",
    "jetson_module": "Jetson module",
    "precision": "precision",
    "profile": "optimisation profile (min/opt/max batch)",
}


class EngineSidecarError(ValueError):
    """A sidecar that is missing or cannot be read."""


class EngineSidecar(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_name: Literal["edge-fas.engine-sidecar"] = SCHEMA_NAME
    schema_version: Literal[1] = SCHEMA_VERSION
    model_file: str
    model_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    tensorrt_version: str
    gpu_name: str
    compute_capability: str = Field(pattern=r"^\d+\.\d+$")
    jetson_module: str | None
    precision: Literal["fp16", "fp32"]
    #: [min, opt, max] batch of the optimisation profile.
    profile: tuple[int, int, int]
    input_name: str
    input_chw: tuple[int, int, int]
    engine_file: str
    engine_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    built_at_utc: str
    build_seconds: float = Field(ge=0)
    workspace_mib: int

    def key_fields(self) -> dict[str, object]:
        data = self.model_dump(mode="json")
        return {name: data[name] for name in _FACT_NAMES}


def engine_sidecar_path(engine_path: str | Path) -> Path:
    """``x.engine`` → ``x.engine.json`` (never ``x.json``: beside a model that is its sidecar)."""
    engine_path = Path(engine_path)
    return engine_path.with_name(engine_path.name + ".json")


def write_engine_sidecar(sidecar: EngineSidecar, engine_path: str | Path) -> Path:
    text = json.dumps(sidecar.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
    return atomic_write_text(engine_sidecar_path(engine_path), text)


def read_engine_sidecar(engine_path: str | Path) -> EngineSidecar:
    path = engine_sidecar_path(engine_path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise EngineSidecarError(f"sidecar {path.name} is missing") from None
    except OSError as e:
        raise EngineSidecarError(f"sidecar {path.name} cannot be read: {e.strerror}") from None
    try:
        return EngineSidecar.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as e:
        first = str(e).splitlines()[0]
        raise EngineSidecarError(f"sidecar {path.name} is not a valid engine sidecar ({first})") from None


def mismatches(sidecar: EngineSidecar, key: EngineKey) -> list[str]:
    """One phrase per fact that differs, e.g. "TensorRT version: engine 10.0.1, this host 10.3.0"."""
    built, wanted = sidecar.key_fields(), key.fields()
    return [f"{_FACT_NAMES[name]}: engine {_shown(built[name])}, wanted {_shown(wanted[name])}"
            for name in _FACT_NAMES if built[name] != wanted[name]]


def _shown(value: object) -> str:
    if isinstance(value, list):
        return "/".join(map(str, value))
    if isinstance(value, str) and len(value) == 64:
        return value[:12]
    return "none" if value is None else str(value)
