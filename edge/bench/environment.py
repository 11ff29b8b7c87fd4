"""The machine a benchmark ran on: what a reader needs to judge whether its figures apply.

CPU model and cores, load average, GPU or Jetson module and its power mode when present, the
versions of every library on the hot path, the model's and engine's sha256, and the backend
that actually ran (a CPU fallback is recorded with its reason and printed loudly).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

#: Distribution name → the name shown in the report.
LIBRARIES = {
    "numpy": "numpy", "opencv-python-headless": "opencv", "onnxruntime": "onnxruntime",
    "onnxruntime-gpu": "onnxruntime-gpu", "tensorrt": "tensorrt", "pyzmq": "pyzmq",
    "pyrealsense2": "pyrealsense2", "numba": "numba", "torch": "torch", "pycuda": "pycuda",
}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for distribution, shown in LIBRARIES.items():
        try:
            versions[shown] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    if "tensorrt" not in versions:  # JetPack installs it without pip metadata
        try:
            import tensorrt
            versions["tensorrt"] = tensorrt.__version__
        except ImportError:
            pass
    import cv2  # the build's own version can differ from the wheel's name
    versions["opencv_build"] = cv2.__version__
    versions["zeromq"] = _zmq_version()
    versions["cuda"] = _cuda_version()
    return {k: v for k, v in versions.items() if v}


def _zmq_version() -> str:
    import zmq
    return zmq.zmq_version()


def _cuda_version() -> str:
    """The CUDA runtime torch was built with, else the driver's, else empty."""
    try:
        import torch
        if torch.version.cuda:
            return str(torch.version.cuda)
    except ImportError:
        pass
    gpus = gpu_description()
    return gpus.get("cuda_driver", "")


def gpu_description() -> dict[str, str]:
    """GPU name and driver (nvidia-smi) or Jetson module and power mode (nvpmodel); {} if none."""
    found: dict[str, str] = {}
    model_file = Path("/proc/device-tree/model")
    if model_file.is_file() and "jetson" in model_file.read_text(errors="replace").lower():
        found["jetson_module"] = model_file.read_text(errors="replace").strip("\x00\n ")
        found["power_mode"] = _run(["nvpmodel", "-q"]).replace("\n", "; ") or "unknown (nvpmodel not found)"
    if shutil.which("nvidia-smi"):
        line = _run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"])
        if line:
            name, _, driver = line.splitlines()[0].partition(",")
            found["gpu"] = name.strip()
            found["driver"] = driver.strip()
    return found


def _run(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def fingerprint() -> dict:
    """Everything above as one JSON-ready dictionary."""
    load_1m, load_5m, load_15m = os.getloadavg()
    return {
        "host": platform.node(),
        "os": f"{platform.system()} {platform.release()}",
        "cpu_model": cpu_model(),
        "logical_cores": os.cpu_count() or 0,
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0,
        "load_average": [round(load_1m, 2), round(load_5m, 2), round(load_15m, 2)],
        "gpu": gpu_description(),
        "versions": library_versions(),
        "python_executable": sys.executable,
    }
