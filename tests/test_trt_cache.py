"""The engine cache without a GPU: sidecar contents, the rebuild decision and its reasons, atomic
writes, one build for two processes' worth of callers, and where the cache lives."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
from pathlib import Path

import pytest

from engines.runtime.base import EngineError
from engines.tensorrt.atomic import atomic_write_bytes
from engines.tensorrt.cache import EngineCache, default_cache_dir
from engines.tensorrt.cache_key import BuildSpec, EngineKey, OptimisationProfile
from engines.tensorrt.engine_sidecar import engine_sidecar_path, read_engine_sidecar
from tests._trt_fixtures import ORIN, RTX, SimulatedBuild, key_for


@pytest.fixture
def model(tmp_path) -> Path:
    path = tmp_path / "afa.onnx"
    path.write_bytes(b"not really onnx, but bytes with a hash")
    return path


def key_of(model: Path, facts=RTX, precision="fp16", profile=(1, 4, 16)) -> EngineKey:
    spec = BuildSpec(precision, OptimisationProfile(*profile))
    return EngineKey.of(model.name, hashlib.sha256(model.read_bytes()).hexdigest(), facts, spec)


def ensure(cache: EngineCache, model: Path, key: EngineKey, build=None, **kw) -> Path:
    spec = BuildSpec(key.precision, key.profile)
    return cache.ensure(model, key, spec, build or SimulatedBuild(), **kw)


def test_a_build_writes_the_engine_and_a_sidecar_with_every_fact(tmp_path, model):
    cache = EngineCache(tmp_path / "cache")
    key = key_of(model, ORIN, "fp32", (1, 8, 32))
    path = ensure(cache, model, key)
    assert path == tmp_path / "cache" / key.file_name() and path.is_file()
    sidecar = json.loads(engine_sidecar_path(path).read_text())
    assert path.name + ".json" == engine_sidecar_path(path).name
    assert sidecar["schema_name"] == "edge-fas.engine-sidecar" and sidecar["schema_version"] == 1
    assert sidecar["model_file"] == "afa.onnx"
    assert sidecar["model_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert sidecar["engine_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (sidecar["tensorrt_version"], sidecar["gpu_name"], sidecar["compute_capability"]) == ("10.3.0", "Orin", "8.7")
    assert sidecar["jetson_module"] == "NVIDIA Jetson Orin Nano Developer Kit"
    assert sidecar["precision"] == "fp32" and sidecar["profile"] == [1, 8, 32]
    assert sidecar["input_name"] == "faces" and sidecar["input_chw"] == [5, 8, 8]
    assert sidecar["engine_file"] == path.name and sidecar["build_seconds"] >= 0
    assert (tmp_path / "cache" / key.timing_cache_name()).read_bytes() == b"timings"
    assert not list((tmp_path / "cache").glob("*.partial"))


def test_a_current_engine_is_used_without_building(tmp_path, model, caplog):
    cache = EngineCache(tmp_path)
    first = ensure(cache, model, key_of(model))
    build = SimulatedBuild()
    decision = cache.decide(key_of(model))
    assert not decision.rebuild and decision.reasons == ()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="engines.tensorrt.cache"):
        assert ensure(cache, model, key_of(model), build) == first
    assert build.calls == 0 and not caplog.records


def test_nothing_cached_yet_is_the_reason_for_a_first_build(tmp_path, model):
    decision = EngineCache(tmp_path).decide(key_of(model))
    assert decision.rebuild
    assert decision.reasons == (f"no engine for afa.onnx in {tmp_path} yet",)


@pytest.mark.parametrize(("changed", "reason"), [
    ({"facts": dataclasses.replace(RTX, tensorrt_version="10.4.0")}, "TensorRT version: engine 10.3.0, wanted 10.4.0"),
    ({"facts": dataclasses.replace(RTX, compute_capability="8.6", gpu_name="NVIDIA RTX A2000")},
     "compute capability: engine 8.9, wanted 8.6"),
    ({"precision": "fp32"}, "precision: engine fp16, wanted fp32"),
    ({"profile": (1, 4, 32)}, "optimisation profile (min/opt/max batch): engine 1/4/16, wanted 1/4/32"),
])
def test_a_changed_fact_rebuilds_and_the_reason_names_it(tmp_path, model, changed, reason, caplog):
    cache = EngineCache(tmp_path)
    old = ensure(cache, model, key_of(model))
    new_key = key_of(model, **changed)
    decision = cache.decide(new_key)
    assert decision.rebuild and decision.engine_path != old
    assert any(reason in r and old.name in r for r in decision.reasons), decision.reasons
    build = SimulatedBuild()
    with caplog.at_level(logging.WARNING, logger="engines.tensorrt.cache"):
        assert ensure(cache, model, new_key, build) == decision.engine_path
    assert build.calls == 1
    loud = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("building TensorRT engine" in m and reason in m for m in loud), loud


def test_a_new_model_rebuilds_naming_the_model_hash(tmp_path, model):
    cache = EngineCache(tmp_path)
    ensure(cache, model, key_of(model))
    old_sha = hashlib.sha256(model.read_bytes()).hexdigest()
    model.write_bytes(b"retrained weights")
    decision = cache.decide(key_of(model))
    assert decision.rebuild
    assert any(f"model sha256: engine {old_sha[:12]}" in r for r in decision.reasons)


def test_a_truncated_engine_is_rebuilt(tmp_path, model):
    cache = EngineCache(tmp_path)
    path = ensure(cache, model, key_of(model))
    path.write_bytes(path.read_bytes()[:100])
    decision = cache.decide(key_of(model))
    assert decision.rebuild and "truncated or replaced" in decision.reasons[0]
    rebuilt = ensure(cache, model, key_of(model))
    assert not cache.decide(key_of(model)).rebuild and len(rebuilt.read_bytes()) > 100


def test_an_engine_without_a_valid_sidecar_is_rebuilt(tmp_path, model):
    cache = EngineCache(tmp_path)
    path = ensure(cache, model, key_of(model))
    engine_sidecar_path(path).unlink()
    decision = cache.decide(key_of(model))
    assert decision.rebuild and "is missing" in decision.reasons[0] and "interrupted build" in decision.reasons[0]
    engine_sidecar_path(path).write_text('{"schema_name": "edge-fas.engine-sidecar"}')
    decision = cache.decide(key_of(model))
    assert decision.rebuild and "not a valid engine sidecar" in decision.reasons[0]


def test_a_copied_engine_whose_sidecar_names_another_target_is_rebuilt(tmp_path, model):
    cache = EngineCache(tmp_path)
    orin_engine = ensure(cache, model, key_of(model, ORIN))
    rtx_key = key_of(model, RTX)
    target = cache.engine_path(rtx_key)
    target.write_bytes(orin_engine.read_bytes())  # someone copied the file under the RTX name
    engine_sidecar_path(target).write_text(engine_sidecar_path(orin_engine).read_text())
    decision = cache.decide(rtx_key)
    assert decision.rebuild
    assert any("GPU: engine Orin, wanted NVIDIA GeForce RTX 4090" in r for r in decision.reasons)


def test_force_rebuilds_a_current_engine(tmp_path, model):
    cache = EngineCache(tmp_path)
    ensure(cache, model, key_of(model))
    build = SimulatedBuild()
    ensure(cache, model, key_of(model), build, force=True)
    assert build.calls == 1


def test_callers_racing_for_the_same_engine_build_it_once(tmp_path, model):
    cache = EngineCache(tmp_path)
    build = SimulatedBuild(duration_s=0.2)
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(ensure(cache, model, key_of(model), build)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert build.calls == 1 and len(set(paths)) == 1 and len(paths) == 3


def test_a_failed_build_leaves_no_engine_behind(tmp_path, model):
    cache = EngineCache(tmp_path)

    def failing_build(*_):
        raise RuntimeError("out of memory while timing tactics")

    with pytest.raises(RuntimeError, match="out of memory"):
        ensure(cache, model, key_of(model), failing_build)
    assert not cache.engine_path(key_of(model)).exists()
    assert cache.decide(key_of(model)).rebuild


def test_an_interrupted_atomic_write_keeps_the_old_file_whole(tmp_path):
    target = tmp_path / "x.engine"
    atomic_write_bytes(target, b"old engine")

    def chunks():
        yield b"half of the new"
        raise KeyboardInterrupt  # the service manager's SIGTERM in the middle of the write

    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(target, chunks())
    assert target.read_bytes() == b"old engine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.engine"]
    atomic_write_bytes(target, [b"new ", b"engine"])
    assert target.read_bytes() == b"new engine"


def test_the_cache_lives_in_systemds_cache_directory_when_there_is_one(tmp_path):
    assert default_cache_dir({"CACHE_DIRECTORY": "/var/cache/edge:/var/cache/other"}) == Path("/var/cache/edge")
    assert default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "edge-fas" / "engines"
    assert default_cache_dir({}) == Path.home() / ".cache" / "edge-fas" / "engines"
    assert EngineCache(None, environ={"CACHE_DIRECTORY": str(tmp_path)}).directory == tmp_path
    assert EngineCache(tmp_path / "explicit", environ={"CACHE_DIRECTORY": "/nope"}).directory == tmp_path / "explicit"


def test_the_sidecar_reads_back_as_written(tmp_path, model):
    path = ensure(EngineCache(tmp_path), model, key_of(model, ORIN))
    sidecar = read_engine_sidecar(path)
    assert sidecar.key_fields() == key_of(model, ORIN).fields()
    assert key_for(ORIN).fields()["jetson_module"] == sidecar.jetson_module


def test_a_cache_that_cannot_be_written_is_a_clear_error(tmp_path, model):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    with pytest.raises(EngineError, match="cannot write to the engine cache .*blocked.*engine.cache_dir"):
        ensure(EngineCache(blocked / "engines"), model, key_of(model))
