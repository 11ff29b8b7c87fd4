"""What this host is, as far as a TensorRT engine cares: TensorRT version, GPU, Jetson module.

The probes read the facts from TensorRT, pycuda and the device tree; the cache key is computed
from a ``TargetFacts`` value, so the key logic runs (and is tested) with injected facts on a box
without a GPU. The imports of ``tensorrt`` and ``pycuda`` live here, each turned into an
``EngineError`` that says how to install the missing piece.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from engines.runtime.base import EngineError

#: Jetson boards name themselves here ("NVIDIA Jetson Orin Nano Developer Kit").
DEVICE_TREE_MODEL = Path("/proc/device-tree/model")

_NO_GPU_FIX = ("set engine.backend = \"onnxruntime\", or engine.fallback_to_cpu = true to run on "
               "the CPU when the GPU path cannot start")


@dataclass(frozen=True)
class TargetFacts:
    """The facts an engine is bound to (besides the model, precision and profile)."""

    tensorrt_version: str
    gpu_name: str
    #: "major.minor", e.g. "8.7" for a Jetson Orin, "8.9" for an RTX 4090.
    compute_capability: str
    #: The Jetson module's device-tree model string; None on a discrete GPU.
    jetson_module: str | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d+\.\d+", self.compute_capability):
            raise ValueError(f"compute_capability must be 'major.minor', got {self.compute_capability!r}")
        if not self.tensorrt_version or not self.gpu_name:
            raise ValueError("tensorrt_version and gpu_name must not be empty")

    def gpu_tag(self) -> str:
        """A file-name-safe name of the target: the Jetson module, else the GPU, plus sm<cc>."""
        device = self.jetson_module or self.gpu_name
        return f"{slug(device, 40)}-sm{self.compute_capability.replace('.', '')}"


def slug(text: str, max_length: int) -> str:
    """Lower-case letters, digits and single dashes; for file names."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:max_length].rstrip("-") or "unnamed"


def import_tensorrt() -> ModuleType:
    try:
        import tensorrt
    except ImportError as e:
        raise EngineError(
            f"tensorrt backend: the TensorRT Python package is not importable ({e}); on a Jetson it "
            "comes with JetPack (apt install python3-libnvinfer), on x86 from NVIDIA's package index "
            f"or container (see deploy/JETSON.md); or {_NO_GPU_FIX}"
        ) from e
    major = int(str(tensorrt.__version__).split(".")[0])
    if major < 10:
        raise EngineError(
            f"tensorrt backend: TensorRT {tensorrt.__version__} is too old; the backend uses the "
            f"TensorRT 10 name-based API (execute_async_v3): install TensorRT 10 or later, or {_NO_GPU_FIX}"
        )
    return tensorrt


def import_pycuda() -> ModuleType:
    try:
        import pycuda.driver as cuda
    except ImportError as e:
        raise EngineError(
            f"tensorrt backend: pycuda is not importable ({e}); install it against the CUDA toolkit "
            f"(pip install 'edge-fas[tensorrt]', see deploy/JETSON.md); or {_NO_GPU_FIX}"
        ) from e
    return cuda


def cuda_device(cuda: ModuleType, device_index: int):
    """The pycuda device ``device_index``, after initialising the driver; EngineError if absent."""
    try:
        cuda.init()
        count = cuda.Device.count()
    except cuda.Error as e:
        raise EngineError(f"tensorrt backend: the CUDA driver cannot start ({e}); is an NVIDIA GPU "
                          f"and its driver present? Otherwise {_NO_GPU_FIX}") from e
    if not 0 <= device_index < count:
        raise EngineError(f"tensorrt backend: CUDA device {device_index} does not exist ({count} "
                          f"device(s) found); set engine.gpu.device_index to 0..{count - 1}, or {_NO_GPU_FIX}")
    return cuda.Device(device_index)


def jetson_module(model_file: Path = DEVICE_TREE_MODEL) -> str | None:
    """The Jetson module's name from the device tree, or None when this is not a Jetson."""
    try:
        text = model_file.read_bytes().decode(errors="replace").strip("\0 \n")
    except OSError:
        return None
    return text if "jetson" in text.lower() else None


def probe_target_facts(device_index: int = 0, model_file: Path = DEVICE_TREE_MODEL) -> TargetFacts:
    """This host's facts, from TensorRT, the CUDA driver and the device tree."""
    trt = import_tensorrt()
    device = cuda_device(import_pycuda(), device_index)
    major, minor = device.compute_capability()
    return TargetFacts(tensorrt_version=str(trt.__version__), gpu_name=device.name(),
                       compute_capability=f"{major}.{minor}", jetson_module=jetson_module(model_file))
