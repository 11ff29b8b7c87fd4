"""Facts and a stand-in TensorRT build for the engine-cache tests (no GPU needed).

``SimulatedBuild`` plays the TensorRT builder's part for ``EngineCache.ensure``: it takes as long
as a build is told to take, writes the timing cache the way the real builder does, and returns
engine bytes derived from the model and spec, so a different key yields different bytes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

from engines.tensorrt.atomic import atomic_write_bytes
from engines.tensorrt.cache import BuiltEngine
from engines.tensorrt.cache_key import BuildSpec, EngineKey, OptimisationProfile
from engines.tensorrt.facts import TargetFacts

ORIN = TargetFacts(tensorrt_version="10.3.0", gpu_name="Orin", compute_capability="8.7",
                   jetson_module="NVIDIA Jetson Orin Nano Developer Kit")
RTX = TargetFacts(tensorrt_version="10.3.0", gpu_name="NVIDIA GeForce RTX 4090", compute_capability="8.9")
MODEL_SHA = "a" * 64


def key_for(facts: TargetFacts = RTX, precision: str = "fp16", profile=(1, 4, 16),
            model_sha: str = MODEL_SHA, model_name: str = "afa.onnx") -> EngineKey:
    return EngineKey.of(model_name, model_sha, facts, BuildSpec(precision, OptimisationProfile(*profile)))


class SimulatedBuild:
    def __init__(self, duration_s: float = 0.0) -> None:
        self.duration_s = duration_s
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, onnx_path: Path, spec: BuildSpec, timing_cache_path: Path) -> BuiltEngine:
        with self._lock:
            self.calls += 1
        time.sleep(self.duration_s)
        atomic_write_bytes(timing_cache_path, b"timings")
        seed = onnx_path.read_bytes() + repr((spec.precision, spec.profile.as_tuple())).encode()
        return BuiltEngine(hashlib.sha256(seed).digest() * 64, "faces", (5, 8, 8))
