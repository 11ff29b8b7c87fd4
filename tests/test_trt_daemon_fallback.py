"""The daemon asked for TensorRT on a host where it cannot start (here: no TensorRT; everywhere:
a CUDA device index no machine has): with engine.fallback_to_cpu it runs ONNX Runtime and every
status and decision message says fallback, with the reason; without it, it stops with the reason."""

from __future__ import annotations

import time

import pytest

from edge.message_check import Accepted
from edge.messages import MessageKind
from edge.recording import RecordingWriter
from edge.subscriber import Subscriber
from tests._daemon_fixtures import (replay_camera, run_daemon, start_daemon, stop_daemon, tiny_model_with_sidecar,
                                    write_config)
from tests._recording_fixtures import DESCRIPTION, synthetic_frame
from tests._zmq_fixtures import free_tcp_endpoint

GPU_ENGINE = 'threads = 1\nbackend = "tensorrt"\ncache_dir = "engines"\nfallback_to_cpu = {fallback}\n'
NO_SUCH_GPU = "[engine.gpu]\ndevice_index = 63\n"


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("fallback_run") / "rec"
    with RecordingWriter(path, "cam1", DESCRIPTION) as writer:
        for i in range(10):
            writer.append(synthetic_frame(i, camera_id="cam1", with_truth=False))
    return path


def gpu_config(tmp_path, recording, fallback: bool):
    model = tiny_model_with_sidecar(tmp_path)
    pub, snap = free_tcp_endpoint(), free_tcp_endpoint()
    config = write_config(tmp_path / "edge.toml", model, pub, snap,
                          replay_camera("cam1", recording, loop=True), extra=NO_SUCH_GPU)
    config.write_text(config.read_text().replace(
        "threads = 1\n", GPU_ENGINE.format(fallback="true" if fallback else "false")))
    return config, pub


def test_fallback_runs_onnx_runtime_and_every_message_says_so(tmp_path, recording):
    config, pub = gpu_config(tmp_path, recording, fallback=True)
    with Subscriber([pub], expiry_grace_ms=5000) as subscriber:
        daemon = start_daemon(config, foreground=False)
        try:
            messages, deadline = [], time.monotonic() + 60
            while time.monotonic() < deadline and not (
                    {m.kind for m in messages} == {MessageKind.DECISION, MessageKind.STATUS}):
                message = subscriber.receive(timeout_ms=100)
                if isinstance(message, Accepted):
                    messages.append(message)
        finally:
            code, _, stderr = stop_daemon(daemon)
    assert code == 0, stderr
    assert {m.kind for m in messages} == {MessageKind.DECISION, MessageKind.STATUS}, stderr
    for message in messages:
        backend = message.body.backend
        assert (backend.name, backend.device, backend.fallback) == ("onnxruntime", "cpu", True)
        assert backend.fallback_reason.startswith("tensorrt could not start: tensorrt backend:")
    assert "FALLBACK" in stderr
    assert not (tmp_path / "engines").exists() or not list((tmp_path / "engines").glob("*.engine"))


def test_without_fallback_the_daemon_stops_with_the_reason(tmp_path, recording):
    config, _ = gpu_config(tmp_path, recording, fallback=False)
    result = run_daemon("run", "--config", str(config), timeout_s=60)
    assert result.returncode != 0
    assert "tensorrt backend:" in result.stderr and "fallback_to_cpu = true" in result.stderr
