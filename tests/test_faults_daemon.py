"""The whole daemon under injected faults (issue 10): it keeps running through a stall, a
disconnect, corrupt frames and a burst of faces, states each change in its status messages,
and publishes fresh decisions afterwards; a plugin bug ends the process so systemd restarts it."""

from __future__ import annotations

import signal
import time

import pytest

from edge.message_check import Accepted
from edge.messages import MessageKind
from edge.pipeline.daemon import EXIT_THREAD_DIED
from edge.subscriber import Subscriber
from tests._daemon_fixtures import start_daemon, tiny_model_with_sidecar, write_config
from tests._zmq_fixtures import free_tcp_endpoint

PLAN = [
    {"kind": "stall", "at_s": 6.0, "duration_s": 2.0},
    {"kind": "disconnect", "at_s": 10.0, "duration_s": 2.0},
    {"kind": "wrong_shape", "at_s": 14.0, "duration_s": 1.0},
    {"kind": "zero_depth", "at_s": 16.0, "duration_s": 1.0},
    {"kind": "time_backwards", "at_s": 18.0, "duration_s": 1.0},
    {"kind": "face_burst", "at_s": 20.0, "duration_s": 4.0, "faces": 4},
]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return tiny_model_with_sidecar(tmp_path_factory.mktemp("model"))


def _faulty_camera(plan) -> str:
    rendered = ", ".join("{ " + ", ".join(f"{k} = {v!r}".replace("'", '"') for k, v in f.items()) + " }"
                         for f in plan)
    return ('[[cameras]]\nid = "cam1"\nplugin = "faults"\n[cameras.options]\ncamera = "sim"\n'
            'options = { camera_model = "sr300", scenario = "demo", fps = 30.0 }\n'
            f"plan = [{rendered}]\n")


def _config(tmp_path, model, plan):
    pub, snap = free_tcp_endpoint(), free_tcp_endpoint()
    extra = "[decision]\nexpiry_ms = 5000\n"
    path = write_config(tmp_path / "edge.toml", model, pub, snap, _faulty_camera(plan), extra=extra)
    path.write_text(path.read_text().replace("linger_ms = 100\n", "linger_ms = 100\nstatus_period_s = 0.25\n"))
    return path, pub


@pytest.mark.slow  # about two minutes on a loaded 2-core box; tests/test_faults_capture.py is the fast check
def test_daemon_rides_out_every_fault_reports_it_and_publishes_fresh_decisions(model, tmp_path):
    config, pub = _config(tmp_path, model, PLAN)
    received: list[tuple[float, Accepted]] = []
    with Subscriber([pub], cameras=["cam1"], expiry_grace_ms=5000) as subscriber:
        daemon = start_daemon(config, foreground=False)
        try:
            deadline = time.monotonic() + 150.0
            while time.monotonic() < deadline and daemon.poll() is None:
                message = subscriber.receive(timeout_ms=100)
                if isinstance(message, Accepted):
                    received.append((time.monotonic(), message))
                statuses = [m for _, m in received if m.kind is MessageKind.STATUS]
                if statuses and _fault_clock_passed(received, 30.0):
                    break
            assert daemon.poll() is None, f"the daemon died: {daemon.communicate()[1][-3000:]}"
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(10)
        finally:
            if daemon.poll() is None:
                daemon.kill()
        log = daemon.communicate()[1]
    assert code == 0, log[-3000:]
    statuses = [m.body for _, m in received if m.kind is MessageKind.STATUS]
    decisions = [m.body for _, m in received if m.kind is MessageKind.DECISION]
    states = [s.camera_state.value for s in statuses]
    # Each change of state is in the status stream, in order, and it ends streaming.
    changes = [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]
    assert "stalled" in changes and "reconnecting" in changes, changes
    assert changes.index("stalled") < changes.index("reconnecting") and changes[-1] == "streaming"
    assert statuses[-1].drops.stages["bad_frames"] >= 3, "corrupt frames were not counted"
    for fault in ("stall", "disconnect", "wrong_shape", "zero_depth", "time_backwards", "face_burst"):
        assert f"faults: camera cam1: {fault} begins" in log and f"{fault} ends" in log
    assert max(len(d.faces) for d in decisions) >= 3, "the burst of faces never reached a decision"
    # After the last fault: fresh decisions, frame after frame, with the camera streaming.
    last_fault_end_wall_ns = _wall_ns_at_fault_clock(received, 24.0)
    after = [d for d in decisions if d.capture_wall_ns > last_fault_end_wall_ns + 1e9]
    assert len(after) >= 3, "no decisions after the faults"
    assert [d.frame_index for d in after] == sorted(d.frame_index for d in after)
    assert all(d.expires_wall_ns > d.capture_wall_ns and d.model.sha256 for d in after)
    print("\n" + "\n".join(_outage_report(decisions, log)))


def _fault_clock_passed(received, t_s: float) -> bool:
    """True when the fault plan's clock (from the first open) has passed ``t_s`` — estimated as
    time since the first status message, which comes after the first open."""
    return bool(received) and time.monotonic() - received[0][0] >= t_s


def _wall_ns_at_fault_clock(received, t_s: float) -> int:
    """A late bound of the host wall clock when the plan's clock read ``t_s``: the plan's
    clock starts at the first open, which comes before the first message."""
    return received[0][1].envelope.publish_wall_ns + int(t_s * 1e9)


def _outage_report(decisions, log: str) -> list[str]:
    """Longest gaps between consecutive decisions' capture times: the outages as seen downstream."""
    captures = sorted(d.capture_wall_ns for d in decisions)
    gaps = sorted(((b - a) / 1e6 for a, b in zip(captures, captures[1:])), reverse=True)[:3]
    return [f"longest gaps between decisions (ms): {', '.join(f'{g:.0f}' for g in gaps)}"]


def test_a_dead_capture_thread_ends_the_daemon_for_the_service_manager(model, tmp_path):
    config, _ = _config(tmp_path, model, [{"kind": "crash", "at_s": 2.0, "duration_s": 60.0}])
    daemon = start_daemon(config, foreground=False)
    try:
        code = daemon.wait(120)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    log = daemon.communicate()[1]
    assert code == EXIT_THREAD_DIED, log[-3000:]
    assert "injected plugin bug" in log and "restarts the daemon" in log
