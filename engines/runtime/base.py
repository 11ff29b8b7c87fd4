"""The inference engine contract: load a model artefact, score a batch of faces, say what it is.

Every backend (ONNX Runtime, PyTorch, TensorRT) takes the same input — a batch of preprocessed
faces, N×C×H×W float32 in the layout the model's sidecar fixes (AFA: N×5×8×8, channels
r, g, b, depth, ir) — and returns one live score per face, the softmax probability of "live"
(the exported graph's ``live_score`` output). The daemon picks a backend by name or by the
artefact's file type (``engines.runtime.registry``) and never needs to know which it got.
"""

from __future__ import annotations

import abc
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np

#: AFA's input: 5 modality channels (r, g, b, depth, ir) of a degraded 8×8 face (paper IV, V-A).
AFA_INPUT_CHW = (5, 8, 8)


class EngineError(Exception):
    """A model artefact cannot be loaded or run; the message names the file and the fix."""


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in chunks so large engines do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class EngineInfo:
    """What an engine reports about itself (for logs, status messages and decisions)."""

    backend: str
    #: "fp32", "fp16" or "int8": the arithmetic the artefact runs in.
    precision: str
    artefact_path: str
    artefact_sha256: str
    #: Where it runs, e.g. "CPUExecutionProvider" or "cpu" / "cuda:0".
    device: str
    input_chw: tuple[int, int, int]
    max_batch: int


class Engine(abc.ABC):
    """One loaded model. Build it, call ``warm_up()`` once, then ``infer()`` from one thread."""

    #: The name the registry knows it by ("onnxruntime", "torch", "tensorrt").
    backend: ClassVar[str]
    #: Artefact file suffixes this backend loads, lower case with the dot.
    suffixes: ClassVar[tuple[str, ...]]

    def __init__(self, model_path: str | Path, *, input_chw: tuple[int, int, int] = AFA_INPUT_CHW,
                 max_batch: int = 16, threads: int = 2) -> None:
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise EngineError(
                f"{self.backend}: model file {str(self.model_path)!r} does not exist; "
                "set engine.model to the path of an exported model"
            )
        if max_batch < 1:
            raise EngineError(f"{self.backend}: max_batch must be at least 1, got {max_batch}")
        if threads < 1:
            raise EngineError(f"{self.backend}: threads must be at least 1, got {threads}")
        self.input_chw = tuple(int(v) for v in input_chw)
        self.max_batch = int(max_batch)
        self.threads = int(threads)
        self.artefact_sha256 = file_sha256(self.model_path)
        self.warmed_up = False

    @property
    @abc.abstractmethod
    def precision(self) -> str:
        """The arithmetic the artefact runs in."""

    @property
    @abc.abstractmethod
    def device(self) -> str:
        """Where inference runs."""

    @abc.abstractmethod
    def _run(self, batch: np.ndarray) -> np.ndarray:
        """Score a validated, contiguous float32 batch of at most ``max_batch`` faces."""

    def infer(self, batch: np.ndarray) -> np.ndarray:
        """Live scores (N,) float32 in [0, 1] for a batch N×C×H×W float32 (N may exceed max_batch:
        the batch is split so no single call goes past what the artefact was built for)."""
        batch = self._validated(batch)
        if len(batch) == 0:
            return np.zeros((0,), dtype=np.float32)
        parts = [self._run(batch[i:i + self.max_batch]) for i in range(0, len(batch), self.max_batch)]
        scores = np.concatenate([np.asarray(p, dtype=np.float32).reshape(-1) for p in parts])
        if scores.shape != (len(batch),):
            raise EngineError(
                f"{self.backend}: model {self.model_path.name} returned {scores.shape[0]} scores "
                f"for {len(batch)} faces; the artefact must output one live_score per face"
            )
        return scores

    def warm_up(self) -> float:
        """Run one inference on a zero batch (allocations, kernel selection) before the daemon
        reports ready; returns its duration in milliseconds."""
        start_ns = time.perf_counter_ns()
        self.infer(np.zeros((1, *self.input_chw), dtype=np.float32))
        self.warmed_up = True
        return (time.perf_counter_ns() - start_ns) / 1e6

    def info(self) -> EngineInfo:
        return EngineInfo(
            backend=self.backend,
            precision=self.precision,
            artefact_path=str(self.model_path),
            artefact_sha256=self.artefact_sha256,
            device=self.device,
            input_chw=self.input_chw,
            max_batch=self.max_batch,
        )

    def close(self) -> None:
        """Release the backend's resources (sessions, contexts); default: nothing to release."""

    def _validated(self, batch: np.ndarray) -> np.ndarray:
        if not isinstance(batch, np.ndarray):
            raise EngineError(f"{self.backend}: batch must be a numpy array, got {type(batch).__name__}")
        if batch.ndim != 4 or tuple(batch.shape[1:]) != self.input_chw:
            raise EngineError(
                f"{self.backend}: batch must be N×{'×'.join(map(str, self.input_chw))}, "
                f"got shape {batch.shape}"
            )
        if batch.dtype != np.float32:
            raise EngineError(f"{self.backend}: batch must be float32, got {batch.dtype}")
        return np.ascontiguousarray(batch)
