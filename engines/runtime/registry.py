"""Engine backends by name, and the choice of one by configuration or by the artefact's type.

Backends are imported only when chosen, so a CPU box without PyTorch or TensorRT loads the
ONNX Runtime backend without touching either.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from engines.runtime.base import AFA_INPUT_CHW, Engine, EngineError

#: Backend name → "module:class".
BACKENDS: dict[str, str] = {
    "onnxruntime": "engines.runtime.onnxruntime_backend:OnnxRuntimeEngine",
    "torch": "engines.runtime.torch_backend:TorchEngine",
    "torch_cuda": "engines.runtime.torch_cuda:TorchCudaEngine",
    "tensorrt": "engines.tensorrt.backend:TensorRTEngine",
}

#: Artefact suffix → backend, for engine.backend = "auto".
BACKEND_OF_SUFFIX: dict[str, str] = {".onnx": "onnxruntime", ".pt": "torch", ".pt2": "torch",
                                     ".engine": "tensorrt", ".plan": "tensorrt"}


def backend_class(name: str) -> type[Engine]:
    if name not in BACKENDS:
        raise EngineError(
            f"unknown engine backend {name!r}; known backends: {', '.join(sorted(BACKENDS))}"
        )
    module_name, class_name = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def backend_for_file(model_path: str | Path) -> str:
    """The backend that loads this artefact, from its file suffix."""
    suffix = Path(model_path).suffix.lower()
    if suffix not in BACKEND_OF_SUFFIX:
        known = ", ".join(f"{s} ({b})" for s, b in sorted(BACKEND_OF_SUFFIX.items()))
        raise EngineError(
            f"cannot tell the backend of model file {str(model_path)!r} from its suffix "
            f"{suffix!r}; known: {known}; or set engine.backend explicitly"
        )
    return BACKEND_OF_SUFFIX[suffix]


def load_engine(model_path: str | Path, backend: str = "auto", *,
                input_chw: tuple[int, int, int] = AFA_INPUT_CHW, max_batch: int = 16,
                threads: int = 2, **backend_options) -> Engine:
    """Load a model with the named backend, or with the one its file type implies ("auto");
    ``backend_options`` go to that backend's constructor (e.g. TensorRT's precision)."""
    name = backend_for_file(model_path) if backend == "auto" else backend
    cls = backend_class(name)
    suffix = Path(model_path).suffix.lower()
    if suffix not in cls.suffixes:
        raise EngineError(
            f"engine backend {name!r} loads {', '.join(cls.suffixes)} files, not "
            f"{str(model_path)!r}; set engine.backend = \"auto\" or point engine.model at a "
            f"{cls.suffixes[0]} file"
        )
    return cls(model_path, input_chw=input_chw, max_batch=max_batch, threads=threads, **backend_options)
