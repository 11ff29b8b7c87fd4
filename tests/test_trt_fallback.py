"""Selection and fallback: a GPU backend that cannot start is the daemon's error (with the reason
and the fix), or — when engine.fallback_to_cpu is set — ONNX Runtime on the CPU, with the reason
kept for every status message. On this machine TensorRT is missing and torch has no CUDA; where
they exist, a device index that no machine has makes the GPU path fail the same way."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from edge.config import ConfigError, parse_config
from engines.runtime import EngineError, load_engine
from engines.runtime.gpu_options import GpuOptions
from engines.runtime.selection import MAX_REASON_CHARS, cpu_model_for, open_engine
from tests._engine_fixtures import export_tiny_onnx, export_tiny_pt2, random_faces

NO_SUCH_GPU = GpuOptions(device_index=63, precision="fp32")
TENSORRT_PRESENT = importlib.util.find_spec("tensorrt") is not None


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("fallback")
    return {"onnx": export_tiny_onnx(directory), "pt2": export_tiny_pt2(directory)}


@pytest.mark.parametrize("backend", ["tensorrt", "torch_cuda"])
def test_without_fallback_a_gpu_backend_that_cannot_start_is_a_clear_error(models, backend, tmp_path):
    model = models["onnx"] if backend == "tensorrt" else models["pt2"]
    with pytest.raises(EngineError) as error:
        open_engine(model, backend, gpu=NO_SUCH_GPU, cache_dir=tmp_path)
    message = str(error.value)
    assert message.startswith(f"{backend} backend:")
    assert "fallback_to_cpu = true" in message or "onnxruntime" in message  # names the way out


@pytest.mark.parametrize("backend", ["tensorrt", "torch_cuda"])
def test_with_fallback_onnx_runtime_runs_and_the_reason_is_kept(models, backend, tmp_path):
    model = models["onnx"] if backend == "tensorrt" else models["pt2"]
    opened = open_engine(model, backend, gpu=NO_SUCH_GPU, cache_dir=tmp_path, fallback_to_cpu=True)
    assert opened.fallback and opened.requested_backend == backend
    assert opened.engine.backend == "onnxruntime" and opened.engine.model_path == models["onnx"]
    assert opened.fallback_reason.startswith(f"{backend} could not start: {backend} backend:")
    assert len(opened.fallback_reason) <= MAX_REASON_CHARS
    faces = random_faces(5, seed=9)
    np.testing.assert_allclose(opened.engine.infer(faces), load_engine(models["onnx"]).infer(faces), atol=1e-6)


@pytest.mark.skipif(TENSORRT_PRESENT, reason="checks the message where TensorRT is absent")
def test_missing_tensorrt_is_named_with_how_to_install_it(models, tmp_path):
    opened = open_engine(models["onnx"], "tensorrt", cache_dir=tmp_path, fallback_to_cpu=True)
    assert "TensorRT Python package is not importable" in opened.fallback_reason
    assert "JetPack" in opened.fallback_reason


def test_the_cpu_backend_needs_no_fallback(models):
    opened = open_engine(models["onnx"], "auto", fallback_to_cpu=True)
    assert not opened.fallback and opened.fallback_reason is None and opened.engine.backend == "onnxruntime"


def test_fallback_needs_an_onnx_model_beside_a_torch_artefact(tmp_path, models):
    lonely = tmp_path / "lonely.pt2"
    lonely.write_bytes(models["pt2"].read_bytes())
    with pytest.raises(EngineError, match=r"fallback_to_cpu needs an ONNX model.*lonely\.onnx does not exist"):
        open_engine(lonely, "torch_cuda", gpu=NO_SUCH_GPU, fallback_to_cpu=True)
    assert cpu_model_for(models["pt2"]) == models["onnx"]


def test_the_configuration_carries_fallback_cache_and_gpu_options(tmp_path):
    config = parse_config(
        '[[cameras]]\nid = "cam1"\nplugin = "sim"\n'
        '[engine]\nbackend = "tensorrt"\nfallback_to_cpu = true\ncache_dir = "engines"\nbatch_limit = 32\n'
        '[engine.gpu]\nprecision = "fp32"\nopt_batch = 8\ndevice_index = 1\n',
        base_dir=tmp_path)
    assert config.engine.backend == "tensorrt" and config.engine.fallback_to_cpu
    assert config.engine_cache_dir() == tmp_path / "engines"
    assert config.engine.gpu == GpuOptions(precision="fp32", opt_batch=8, device_index=1)
    default = parse_config('[[cameras]]\nid = "cam1"\nplugin = "sim"\n')
    assert not default.engine.fallback_to_cpu and default.engine_cache_dir() is None
    assert default.engine.gpu.precision == "fp16" and default.engine.gpu.cuda_graphs


@pytest.mark.parametrize(("gpu", "expected"), [
    ('precision = "int8"', "engine.gpu.precision = 'int8'"),
    ("min_batch = 8", "min_batch (8) must not exceed opt_batch (4)"),
    ("tactics = 3", "engine.gpu.tactics: unknown key"),
])
def test_bad_gpu_options_name_the_key(gpu, expected):
    with pytest.raises(ConfigError) as error:
        parse_config(f'[[cameras]]\nid = "cam1"\nplugin = "sim"\n[engine.gpu]\n{gpu}\n')
    assert any(expected in problem for problem in error.value.problems), error.value.problems
