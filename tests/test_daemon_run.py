"""The daemon as a real process with real sockets: decisions and status flow to a subscriber in
this process (schema-valid, no sequence gaps), several cameras share one daemon, SIGHUP reloads
the decision policy and says so, a dead camera thread ends the process non-zero, an endpoint in
use is refused before any camera opens."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest

from edge.message_check import Accepted
from edge.messages import MessageKind
from edge.pipeline.daemon import EXIT_THREAD_DIED, EXIT_UNAVAILABLE
from edge.recording import RecordingWriter
from edge.subscriber import Subscriber
from tests._daemon_fixtures import replay_camera, start_daemon, tiny_model_with_sidecar, write_config
from tests._recording_fixtures import DESCRIPTION, synthetic_frame
from tests._zmq_fixtures import free_tcp_endpoint


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "rec"
    with RecordingWriter(path, "cam1", DESCRIPTION) as writer:
        for i in range(15):
            writer.append(synthetic_frame(i, camera_id="cam1", with_truth=False))
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return tiny_model_with_sidecar(tmp_path_factory.mktemp("model"))


def _receive(subscriber: Subscriber, seconds: float, until=None) -> list:
    """Messages for ``seconds``, or until ``until(messages)`` holds (a slow machine gets time)."""
    messages = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (until and until(messages)):
        message = subscriber.receive(timeout_ms=100)
        if message is not None:
            messages.append(message)
    return messages


def _each_camera_sent_both_kinds(messages, cameras=("cam1", "cam2"), decisions=3) -> bool:
    seen = [(m.kind, m.camera_id) for m in messages if isinstance(m, Accepted)]
    return all(seen.count((MessageKind.DECISION, c)) >= decisions
               and (MessageKind.STATUS, c) in seen for c in cameras)


def _stop(daemon, budget_s: float = 2.0) -> tuple[int, float, str]:
    start = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    try:
        code = daemon.wait(timeout=budget_s + 3.0)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    return code, time.monotonic() - start, daemon.communicate()[1]


def test_two_cameras_publish_valid_gapless_decisions_and_status_then_reload_and_stop(
        recording, model, tmp_path):
    pub, snap = free_tcp_endpoint(), free_tcp_endpoint()
    cameras = (replay_camera("cam1", recording, loop=True)
               + replay_camera("cam2", recording, loop=True))  # recorded as cam1
    config = write_config(tmp_path / "edge.toml", model, pub, snap, cameras,
                          extra="[decision]\nexpiry_ms = 2000\n")
    with Subscriber([pub], expiry_grace_ms=5000) as subscriber:
        daemon = start_daemon(config)
        try:
            messages = _receive(subscriber, 60.0, until=_each_camera_sent_both_kinds)
            config.write_text(config.read_text().replace("expiry_ms = 2000", "expiry_ms = 3000"))
            daemon.send_signal(signal.SIGHUP)
            messages += _receive(subscriber, 30.0, until=lambda more: any(
                isinstance(m, Accepted) and m.kind is MessageKind.DECISION
                and m.body.expires_wall_ns - m.body.capture_wall_ns == 3_000_000_000 for m in more))
        finally:
            code, took_s, stderr = _stop(daemon)
    assert code == 0, stderr
    assert took_s < 2.0
    accepted = [m for m in messages if isinstance(m, Accepted)]
    assert len(accepted) == len(messages), [m for m in messages if not isinstance(m, Accepted)]
    decisions = [m for m in accepted if m.kind is MessageKind.DECISION]
    statuses = [m for m in accepted if m.kind is MessageKind.STATUS]
    assert {m.camera_id for m in decisions} == {"cam1", "cam2"}
    assert {m.camera_id for m in statuses} == {"cam1", "cam2"}
    sequences = [m.envelope.sequence for m in accepted]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))  # no gaps
    assert all(m.missed == 0 for m in accepted[1:])
    for d in decisions:
        assert d.body.backend.name == "onnxruntime"
        assert d.body.threshold == 0.5
        assert d.body.expires_wall_ns - d.body.capture_wall_ns in (2000_000_000, 3000_000_000)
    assert any(d.body.expires_wall_ns - d.body.capture_wall_ns == 3000_000_000 for d in decisions)
    status = statuses[-1].body
    assert status.camera_state.value == "streaming"
    assert status.processed_fps > 0 and status.capture_fps > 0
    assert {"capture_wait", "detection"} <= set(status.latency_ms)
    assert "latest_frame_slot" in status.drops.stages
    assert "reloaded" in stderr and "expiry_ms': 3000" in stderr


def test_endpoint_in_use_is_refused_before_a_camera_opens(recording, model, tmp_path):
    import zmq

    pub = free_tcp_endpoint()
    with zmq.Context.instance().socket(zmq.PUB) as squatter:
        squatter.bind(pub)
        config = write_config(tmp_path / "edge.toml", model, pub, free_tcp_endpoint(),
                              replay_camera("cam1", recording))
        daemon = start_daemon(config)
        code = daemon.wait(timeout=60)
        stderr = daemon.communicate()[1]
    assert code == EXIT_UNAVAILABLE
    assert pub in stderr and "opened" not in stderr


def test_a_dead_camera_thread_ends_the_daemon_non_zero(recording, model, tmp_path):
    broken = Path(shutil.copytree(recording, tmp_path / "broken"))
    (broken / "recording.json").write_text('{"format_version": 999}')
    config = write_config(tmp_path / "edge.toml", model, free_tcp_endpoint(), free_tcp_endpoint(),
                          replay_camera("cam1", broken))
    daemon = start_daemon(config)
    code = daemon.wait(timeout=60)
    stderr = daemon.communicate()[1]
    assert code == EXIT_THREAD_DIED
    assert "thread capture-cam1 (replay camera" in stderr and "died: exiting" in stderr
