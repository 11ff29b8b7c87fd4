"""The engine cache key: every fact a serialised TensorRT engine is only valid for.

An engine is bound to the model (its sha256), the TensorRT version that built it, the GPU
(compute capability, or Jetson module), the precision and the optimisation profile (the batch
range). The key names the file, so a changed fact names a different file and the stale engine is
never picked; the same facts go into the engine's sidecar so a mismatch can be explained.
DeepStream's engine names leave out the TensorRT version and the GPU, and its users meet stale
engines after every upgrade (runtime.md): ours spell both out.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from engines.tensorrt.facts import TargetFacts, slug

Precision = Literal["fp16", "fp32"]
PRECISIONS: tuple[str, ...] = ("fp16", "fp32")


@dataclass(frozen=True)
class OptimisationProfile:
    """The face-batch range the engine accepts: TensorRT tunes its kernels for ``opt_batch`` and
    accepts any batch from ``min_batch`` to ``max_batch``."""

    min_batch: int = 1
    opt_batch: int = 4
    max_batch: int = 16

    def __post_init__(self) -> None:
        if not 1 <= self.min_batch <= self.opt_batch <= self.max_batch:
            raise ValueError(
                f"optimisation profile needs 1 <= min_batch <= opt_batch <= max_batch, got "
                f"min {self.min_batch}, opt {self.opt_batch}, max {self.max_batch}; e.g. 1 / 4 / 16"
            )

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.min_batch, self.opt_batch, self.max_batch)


@dataclass(frozen=True)
class BuildSpec:
    """How to build: precision (FP16 by default, the product's promise) and the batch profile."""

    precision: Precision = "fp16"
    profile: OptimisationProfile = OptimisationProfile()
    #: Builder scratch memory; it bounds the tactics tried, it does not bind the engine.
    workspace_mib: int = 512

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.workspace_mib < 16:
            raise ValueError(f"workspace_mib must be at least 16, got {self.workspace_mib}")


@dataclass(frozen=True)
class EngineKey:
    #: The ONNX model's file name ("afa.onnx").
    model_name: str
    model_sha256: str
    facts: TargetFacts
    precision: Precision
    profile: OptimisationProfile

    @classmethod
    def of(cls, model_name: str, model_sha256: str, facts: TargetFacts, spec: BuildSpec) -> EngineKey:
        return cls(model_name, model_sha256, facts, spec.precision, spec.profile)

    def fields(self) -> dict[str, object]:
        """The facts that decide validity, by the names the sidecar uses."""
        return {
            "model_sha256": self.model_sha256,
            "tensorrt_version": self.facts.tensorrt_version,
            "gpu_name": self.facts.gpu_name,
            "compute_capability": self.facts.compute_capability,
            "jetson_module": self.facts.jetson_module,
            "precision": self.precision,
            "profile": list(self.profile.as_tuple()),
        }

    def digest(self) -> str:
        canonical = json.dumps(self.fields(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def file_name(self) -> str:
        """E.g. ``afa-3f2a9c01b7de-trt10.3.0-jetson-orin-nano-sm87-fp16-b1-4-16-1a2b3c4d.engine``.

        Readable facts first; the digest of all of them last, so two keys that the shortened
        names would confuse (a long GPU name cut at 40 characters) still get different files."""
        low, opt, high = self.profile.as_tuple()
        return (f"{slug(Path(self.model_name).stem, 32)}-{self.model_sha256[:12]}"
                f"-trt{slug(self.facts.tensorrt_version, 16)}-{self.facts.gpu_tag()}"
                f"-{self.precision}-b{low}-{opt}-{high}-{self.digest()[:8]}.engine")

    def timing_cache_name(self) -> str:
        """The timing cache is shared by every model built with this TensorRT on this GPU."""
        return f"timing-trt{slug(self.facts.tensorrt_version, 16)}-{self.facts.gpu_tag()}.cache"
