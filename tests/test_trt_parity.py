"""TensorRT against ONNX Runtime on a GPU with TensorRT 10 and pycuda (skipped cleanly elsewhere):
FP32 within 1e-4, FP16 within 1e-2, at batch 1, the profile's opt and its max; the cache reused on
the next start; a prebuilt engine checked against this host; None from TensorRT made an error."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import shutil

import numpy as np
import pytest

from engines.runtime import EngineError, load_engine
from engines.tensorrt.engine_sidecar import engine_sidecar_path
from tests._engine_fixtures import export_tiny_onnx, random_faces


def tensorrt_missing() -> str | None:
    """Why the TensorRT path cannot run here, or None when it can."""
    for module in ("tensorrt", "pycuda"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    import pycuda.driver as cuda

    try:
        cuda.init()
        if cuda.Device.count() == 0:
            return "no CUDA device"
    except cuda.Error as e:
        return f"the CUDA driver cannot start: {e}"
    return None


pytestmark = [pytest.mark.gpu, pytest.mark.skipif(tensorrt_missing() is not None,
                                                  reason=f"needs TensorRT on a GPU: {tensorrt_missing()}")]

OPT, MAX = 4, 16


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory):
    return export_tiny_onnx(tmp_path_factory.mktemp("trt"))


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("trt_cache")


def tensorrt(onnx_model, cache_dir, precision):
    return load_engine(onnx_model, "tensorrt", max_batch=MAX, precision=precision, opt_batch=OPT,
                       cache_dir=cache_dir)


@pytest.mark.parametrize(("precision", "tolerance"), [("fp32", 1e-4), ("fp16", 1e-2)])
def test_tensorrt_matches_onnx_runtime(onnx_model, cache_dir, precision, tolerance):
    reference = load_engine(onnx_model, "onnxruntime")
    engine = tensorrt(onnx_model, cache_dir, precision)
    try:
        info = engine.info()
        assert (info.backend, info.precision, info.device, info.max_batch) == ("tensorrt", precision, "cuda:0", MAX)
        for n in (1, OPT, MAX, MAX + 3):  # the last is split by the contract into 16 + 3
            faces = random_faces(n, seed=n)
            scores = engine.infer(faces)
            assert scores.shape == (n,) and scores.dtype == np.float32
            np.testing.assert_allclose(scores, reference.infer(faces), atol=tolerance, rtol=0)
    finally:
        engine.close()


def test_the_next_start_uses_the_cached_engine(onnx_model, cache_dir, caplog):
    first = tensorrt(onnx_model, cache_dir, "fp32")
    first.close()
    built_at = json.loads(engine_sidecar_path(first.engine_path).read_text())["built_at_utc"]
    with caplog.at_level(logging.INFO, logger="engines.tensorrt.cache"):
        second = tensorrt(onnx_model, cache_dir, "fp32")
    second.close()
    assert second.engine_path == first.engine_path
    assert json.loads(engine_sidecar_path(second.engine_path).read_text())["built_at_utc"] == built_at
    assert any("is current" in r.getMessage() for r in caplog.records)
    assert not any("building TensorRT engine" in r.getMessage() for r in caplog.records)


def test_a_prebuilt_engine_runs_and_a_stale_one_is_refused(onnx_model, cache_dir, tmp_path):
    built = tensorrt(onnx_model, cache_dir, "fp16")
    built.close()
    copy = tmp_path / "afa.engine"
    shutil.copy(built.engine_path, copy)
    shutil.copy(engine_sidecar_path(built.engine_path), engine_sidecar_path(copy))
    engine = load_engine(copy, max_batch=MAX)  # "auto": .engine → tensorrt
    try:
        faces = random_faces(3, seed=4)
        np.testing.assert_allclose(engine.infer(faces), load_engine(onnx_model).infer(faces), atol=1e-2)
        assert engine.precision == "fp16"
    finally:
        engine.close()
    sidecar = json.loads(engine_sidecar_path(copy).read_text())
    engine_sidecar_path(copy).write_text(json.dumps({**sidecar, "tensorrt_version": "9.0.0"}))
    with pytest.raises(EngineError, match="is stale.*TensorRT version: engine 9.0.0"):
        load_engine(copy)


def test_a_damaged_engine_is_a_clear_error_not_a_crash(onnx_model, cache_dir, tmp_path):
    built = tensorrt(onnx_model, cache_dir, "fp32")
    built.close()
    damaged = tmp_path / "damaged.engine"
    damaged.write_bytes(b"\0" * 4096)
    sidecar = json.loads(engine_sidecar_path(built.engine_path).read_text())
    sidecar["engine_sha256"] = hashlib.sha256(damaged.read_bytes()).hexdigest()
    engine_sidecar_path(damaged).write_text(json.dumps(sidecar))
    with pytest.raises(EngineError, match="deserialize_cuda_engine returned None"):
        load_engine(damaged)
