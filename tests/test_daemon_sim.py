"""The daemon on the simulated camera: faces of the demo scenario are detected, tracked, scored
by the engine and decided; a late joiner gets the current state through the snapshot socket.
(Accuracy against the simulator's truth needs the shipped model: the lead's end-to-end test.)"""

from __future__ import annotations

import time

import pytest

from edge.message_check import Accepted
from edge.messages import FaceState, MessageKind
from edge.subscriber import Subscriber
from tests._daemon_fixtures import sim_camera, start_daemon, stop_daemon, tiny_model_with_sidecar, write_config
from tests._zmq_fixtures import free_tcp_endpoint


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return tiny_model_with_sidecar(tmp_path_factory.mktemp("model"), thresholds={"default": 0.5, "sr300": 0.45})


def test_sim_faces_are_scored_decided_and_snapshotted(model, tmp_path):
    pub, snap = free_tcp_endpoint(), free_tcp_endpoint()
    # The random scenario puts a face in (nearly) every scene from the first frame on.
    config = write_config(tmp_path / "edge.toml", model, pub, snap, sim_camera(scenario="random"),
                          extra="[decision]\nexpiry_ms = 5000\n")
    daemon = start_daemon(config)
    face_decisions, statuses = [], 0
    try:
        with Subscriber([pub], expiry_grace_ms=10_000) as subscriber:
            deadline = time.monotonic() + 60.0
            # Until a status went out too (once a second): only then can the snapshot hold one.
            while (len(face_decisions) < 10 or not statuses) and time.monotonic() < deadline:
                message = subscriber.receive(timeout_ms=200)
                if isinstance(message, Accepted) and message.kind is MessageKind.STATUS:
                    statuses += 1
                elif isinstance(message, Accepted) and message.body.faces:
                    face_decisions.append(message.body)
        with Subscriber([pub], snapshot_endpoints=[snap], expiry_grace_ms=10_000) as late:
            snapshot = late.snapshot(timeout_ms=3000)
    finally:
        code, stdout, stderr = stop_daemon(daemon)
    assert code == 0, stderr
    # --foreground printed what was published: one line per face, one per status.
    assert "[cam1] frame" in stdout and " track " in stdout and "threshold 0.450" in stdout
    assert len(face_decisions) >= 10, stderr
    for decision in face_decisions:
        assert decision.camera_id == "cam1" and decision.threshold == 0.45  # the sr300 calibration
        for face in decision.faces:
            assert face.detector_score > 0.5
            assert 0 <= face.box.x_px < 640 and 0 <= face.box.y_px < 480
            if face.state is FaceState.NOT_ENOUGH_DATA:
                assert face.live_score is None
            else:
                assert 0.0 <= face.live_score <= 1.0
                assert {"detection", "preprocessing", "inference"} <= set(face.latency_ms)
    scored = [f for d in face_decisions for f in d.faces if f.live_score is not None]
    assert scored, "no face reached the engine"
    kinds = {(m.kind, m.camera_id) for m in snapshot if isinstance(m, Accepted)}
    assert kinds == {(MessageKind.DECISION, "cam1"), (MessageKind.STATUS, "cam1")}
    assert "threshold of camera model 'sr300' = 0.450" in stderr
