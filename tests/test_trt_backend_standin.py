"""The TensorRT backend's own code — cache → builder → the CUDA-context-owning thread → execution —
run against a stand-in of TensorRT 10 and pycuda (tests/_trt_standin.py) that enforces their rules
(context per thread, page-locked async copies, profile limits, None from deserialisation). The
real libraries are exercised by tests/test_trt_parity.py where a GPU and TensorRT exist."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
import threading

import numpy as np
import pytest

from edge.cli import build_engine
from engines.runtime import EngineError, load_engine
from engines.runtime.gpu_options import GpuOptions
from engines.runtime.selection import open_engine
from engines.tensorrt.engine_sidecar import engine_sidecar_path
from tests import _trt_standin as standin
from tests._engine_fixtures import export_tiny_onnx, random_faces


@pytest.fixture(autouse=True)
def stand_in_libraries():
    with pytest.MonkeyPatch.context() as patch:
        for name, module in standin.modules().items():
            patch.setitem(sys.modules, name, module)
        yield


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory):
    return export_tiny_onnx(tmp_path_factory.mktemp("standin"))


def open_trt(onnx_model, cache_dir, precision="fp32", max_batch=16, **options):
    return load_engine(onnx_model, "tensorrt", max_batch=max_batch, precision=precision, opt_batch=4,
                       cache_dir=cache_dir, **options)


def engine_header(path) -> dict:
    return json.loads(path.read_bytes().split(b"\n")[1])


def test_build_then_infer_at_batch_1_opt_max_and_beyond(onnx_model, tmp_path):
    reference = load_engine(onnx_model, "onnxruntime")
    engine = open_trt(onnx_model, tmp_path)
    try:
        info = engine.info()
        assert (info.backend, info.precision, info.device, info.max_batch) == ("tensorrt", "fp32", "cuda:0", 16)
        for n in (1, 4, 16, 19):
            faces = random_faces(n, seed=n)
            np.testing.assert_allclose(engine.infer(faces), reference.infer(faces), atol=1e-6)
    finally:
        engine.close()
    sidecar = json.loads(engine_sidecar_path(engine.engine_path).read_text())
    assert (sidecar["tensorrt_version"], sidecar["gpu_name"], sidecar["compute_capability"]) == \
        ("10.3.0", "Stand-in GPU", "8.7")
    assert sidecar["profile"] == [1, 4, 16] and sidecar["input_name"] == "faces"
    header = engine_header(engine.engine_path)
    assert header["profile"]["faces"] == [[1, 5, 8, 8], [4, 5, 8, 8], [16, 5, 8, 8]]
    assert header["fp16"] is False and header["tf32"] is False  # FP32 means FP32


def test_fp16_sets_the_flag_and_the_timing_cache_carries_over(onnx_model, tmp_path):
    open_trt(onnx_model, tmp_path, "fp32").close()
    engine = open_trt(onnx_model, tmp_path, "fp16")
    engine.close()
    assert engine.precision == "fp16" and engine_header(engine.engine_path)["fp16"] is True
    (timing,) = tmp_path.glob("timing-*.cache")
    assert json.loads(timing.read_text()) == {"layers": 2}  # the second build read the first's


def test_only_the_inference_thread_touches_cuda_and_close_releases_it(onnx_model, tmp_path):
    before = standin.state()
    engine = open_trt(onnx_model, tmp_path)
    faces = [random_faces(n, seed=10 + n) for n in (1, 2, 3, 5, 8, 13)]
    expected = [load_engine(onnx_model).infer(f) for f in faces]
    results, errors = {}, []

    def caller(i):
        try:
            for _ in range(5):
                results[i] = engine.infer(faces[i])
        except Exception as e:  # would be "invalid device context" if a caller touched CUDA
            errors.append(e)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(len(faces))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i, scores in results.items():
        np.testing.assert_allclose(scores, expected[i], atol=1e-6)
    engine.close()
    after = standin.state()
    assert after["contexts_made"] - before["contexts_made"] == 1
    assert after["contexts_released"] - before["contexts_released"] == 1
    assert after["allocations"] == before["allocations"]  # both buffers freed in the context
    with pytest.raises(EngineError, match="inference thread is not running"):
        engine.infer(faces[0])


def test_the_next_start_reuses_the_engine(onnx_model, tmp_path, caplog):
    open_trt(onnx_model, tmp_path).close()
    with caplog.at_level(logging.INFO, logger="engines.tensorrt.cache"):
        open_trt(onnx_model, tmp_path).close()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("building TensorRT engine" in m for m in messages) == 1
    assert any("is current" in m for m in messages)


def test_a_prebuilt_engine_caps_the_batch_at_its_profile(onnx_model, tmp_path):
    built = open_trt(onnx_model, tmp_path / "cache", max_batch=8)
    built.close()
    copy = tmp_path / "afa.engine"
    shutil.copy(built.engine_path, copy)
    shutil.copy(engine_sidecar_path(built.engine_path), engine_sidecar_path(copy))
    engine = load_engine(copy, max_batch=32)
    try:
        assert engine.max_batch == 8  # the profile's max, below the configured limit
        faces = random_faces(20, seed=3)
        np.testing.assert_allclose(engine.infer(faces), load_engine(onnx_model).infer(faces), atol=1e-6)
    finally:
        engine.close()
    engine_sidecar_path(copy).unlink()
    with pytest.raises(EngineError, match="sidecar afa.engine.json is missing.*point engine.model at the ONNX"):
        load_engine(copy)


def test_none_from_deserialisation_is_a_clear_error_and_tensorrt_logs_reach_python(onnx_model, tmp_path, caplog):
    built = open_trt(onnx_model, tmp_path / "cache")
    built.close()
    damaged = tmp_path / "damaged.engine"
    damaged.write_bytes(b"\0" * 512)
    sidecar = json.loads(engine_sidecar_path(built.engine_path).read_text())
    sidecar["engine_sha256"] = hashlib.sha256(damaged.read_bytes()).hexdigest()
    engine_sidecar_path(damaged).write_text(json.dumps(sidecar))
    with caplog.at_level(logging.ERROR, logger="engines.tensorrt.runtime"):
        with pytest.raises(EngineError, match="deserialize_cuda_engine returned None for .*damaged.engine"):
            load_engine(damaged)
    assert any(r.name == "engines.tensorrt.runtime" and r.levelno == logging.ERROR
               and "magicTagRead" in r.getMessage() for r in caplog.records)


def test_a_missing_device_fails_or_falls_back(onnx_model, tmp_path):
    with pytest.raises(EngineError, match="CUDA device 3 does not exist \\(1 device\\(s\\) found\\)"):
        open_trt(onnx_model, tmp_path, device_index=3)
    opened = open_engine(onnx_model, "tensorrt", gpu=GpuOptions(device_index=3), cache_dir=tmp_path,
                         fallback_to_cpu=True)
    assert opened.fallback and opened.engine.backend == "onnxruntime"
    assert "CUDA device 3 does not exist" in opened.fallback_reason
    assert not list(tmp_path.glob("*.engine"))


def test_edge_build_engine_builds_checks_and_explains(onnx_model, tmp_path, capsys):
    cache = str(tmp_path / "cache")
    args = ["--model", str(onnx_model), "--cache-dir", cache, "--precision", "fp32"]
    assert build_engine.main(args + ["--check"]) == build_engine.NEEDS_BUILD
    assert "no engine for tiny.onnx" in capsys.readouterr().out
    assert build_engine.main(args) == 0
    out = capsys.readouterr().out
    assert "loads and runs: yes" in out and "precision: fp32" in out and "profile: [1, 4, 16]" in out
    assert build_engine.main(args + ["--check"]) == 0
    assert "current: yes" in capsys.readouterr().out
    assert build_engine.main(["--model", str(onnx_model), "--cache-dir", cache, "--check"]) == 1
    assert "precision: engine fp32, wanted fp16" in capsys.readouterr().out
