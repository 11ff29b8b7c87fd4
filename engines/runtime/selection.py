"""Open the configured engine backend — or, when a GPU backend cannot start and the configuration
allows it, ONNX Runtime on the CPU instead, saying so loudly (issue 9, item 5).

A GPU backend "cannot start" when TensorRT, pycuda or a CUDA build of PyTorch is missing, there is
no GPU (or not the configured one), or a stale engine cannot be rebuilt. Without
``fallback_to_cpu`` that is the daemon's error (with the reason and the fix); with it, the CPU
engine runs the ONNX model — the one configured, or the ``.onnx`` beside a ``.pt``/``.pt2``/
``.engine`` file — and ``OpenedEngine.fallback_reason`` says why, for every status message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from engines.runtime.base import AFA_INPUT_CHW, Engine, EngineError
from engines.runtime.gpu_options import GpuOptions
from engines.runtime.registry import backend_for_file, load_engine

log = logging.getLogger(__name__)

GPU_BACKENDS = ("tensorrt", "torch_cuda")
#: The status message field holds at most this many characters.
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class OpenedEngine:
    engine: Engine
    #: The backend the configuration asked for.
    requested_backend: str
    #: Why the requested backend is not the one running; None when it is.
    fallback_reason: str | None = None

    @property
    def fallback(self) -> bool:
        return self.fallback_reason is not None


def gpu_backend_options(backend: str, gpu: GpuOptions, cache_dir: str | Path | None = None,
                        notifier=None) -> dict:
    """The constructor options the named GPU backend takes from the configuration."""
    if backend == "tensorrt":
        return {"precision": gpu.precision, "min_batch": gpu.min_batch, "opt_batch": gpu.opt_batch,
                "device_index": gpu.device_index, "cache_dir": cache_dir or None,
                "workspace_mib": gpu.workspace_mib, "notifier": notifier}
    if backend == "torch_cuda":
        return {"precision": gpu.precision, "device": f"cuda:{gpu.device_index}",
                "cuda_graphs": gpu.cuda_graphs}
    return {}


def cpu_model_for(model_path: str | Path) -> Path:
    """The ONNX model ONNX Runtime runs in place of ``model_path``."""
    model_path = Path(model_path)
    onnx = model_path if model_path.suffix.lower() == ".onnx" else model_path.with_suffix(".onnx")
    if not onnx.is_file():
        raise EngineError(f"engine.fallback_to_cpu needs an ONNX model to run on the CPU, but {onnx} does "
                          f"not exist; export {model_path.name} to ONNX beside it (edge-export)")
    return onnx


def open_engine(model_path: str | Path, backend: str = "auto", *,
                input_chw: tuple[int, int, int] = AFA_INPUT_CHW, max_batch: int = 16, threads: int = 2,
                gpu: GpuOptions = GpuOptions(), cache_dir: str | Path | None = None,
                fallback_to_cpu: bool = False, notifier=None) -> OpenedEngine:
    name = backend_for_file(model_path) if backend == "auto" else backend
    options = gpu_backend_options(name, gpu, cache_dir, notifier)
    try:
        engine = load_engine(model_path, name, input_chw=input_chw, max_batch=max_batch,
                             threads=threads, **options)
        return OpenedEngine(engine, name)
    except EngineError as e:
        if name not in GPU_BACKENDS or not fallback_to_cpu:
            raise
        reason = f"{name} could not start: {e}"
    onnx = cpu_model_for(model_path)
    log.error("FALLBACK to ONNX Runtime on the CPU with %s, because %s", onnx, reason)
    engine = load_engine(onnx, "onnxruntime", input_chw=input_chw, max_batch=max_batch, threads=threads)
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[:MAX_REASON_CHARS - 1] + "…"
    return OpenedEngine(engine, name, fallback_reason=reason)
