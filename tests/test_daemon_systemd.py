"""The daemon under a stand-in service manager: a real NOTIFY_SOCKET datagram socket and
WATCHDOG_USEC. READY=1 comes once, WATCHDOG=1 follows while frames flow, the pings stop when
the camera goes away (its recording is moved), and SIGTERM gives STOPPING=1 and exit 0 in 2 s."""

from __future__ import annotations

import shutil
import signal
import socket
import time
from pathlib import Path

import pytest

from edge.recording import RecordingWriter
from tests._daemon_fixtures import replay_camera, start_daemon, tiny_model_with_sidecar, write_config
from tests._recording_fixtures import DESCRIPTION, synthetic_frame
from tests._zmq_fixtures import free_tcp_endpoint

PERIOD_NS = 33_333_333


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("systemd") / "rec"
    with RecordingWriter(path, "cam1", DESCRIPTION) as writer:
        for i in range(15):
            writer.append(synthetic_frame(i, camera_id="cam1", with_truth=False, period_ns=PERIOD_NS))
    return path


class ServiceManager:
    """Plays systemd's side of sd_notify: a datagram socket that records what arrives."""

    def __init__(self, path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.path = str(path)
        self.received: list[str] = []

    def _next(self, timeout_s: float) -> str | None:
        self.sock.settimeout(max(timeout_s, 1e-3))
        try:
            message = self.sock.recv(4096).decode()
        except socket.timeout:
            return None
        self.received.append(message)
        return message

    def collect(self, seconds: float) -> list[str]:
        """Every message arriving in the next ``seconds``."""
        got = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if (message := self._next(left)) is not None:
                got.append(message)
        return got

    def wait_for(self, field: str, seconds: float, process=None) -> str:
        """The next message holding ``field`` (messages before it are passed over); gives up
        early when ``process`` exits."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if process is not None and process.poll() is not None:
                raise AssertionError(f"daemon exited with {process.returncode}: {process.communicate()[1]}")
            message = self._next(min(left, 0.5))
            if message is not None and field in message.split("\n"):
                return message
        raise AssertionError(f"no {field!r} within {seconds} s; got {self.received}")


def test_ready_watchdog_stall_and_stop(recording, tmp_path):
    model = tiny_model_with_sidecar(tmp_path)
    camera = Path(shutil.copytree(recording, tmp_path / "camera"))  # this test unplugs it
    config = write_config(tmp_path / "edge.toml", model, free_tcp_endpoint(), free_tcp_endpoint(),
                          replay_camera("cam1", camera, loop=True))
    manager = ServiceManager(tmp_path / "notify.sock")
    daemon = start_daemon(config, env={"NOTIFY_SOCKET": manager.path, "WATCHDOG_USEC": "1000000"},
                          foreground=False)
    try:
        ready = manager.wait_for("READY=1", 60.0, daemon)
        assert "STATUS=onnxruntime" in ready
        pings = [m for m in manager.collect(2.6) if m == "WATCHDOG=1"]
        assert 3 <= len(pings) <= 6  # every 0.5 s while frames and the worker advance

        daemon.send_signal(signal.SIGHUP)  # reload: RELOADING=1 with its time, then READY=1 again
        reloading = manager.wait_for("RELOADING=1", 5.0)
        assert "MONOTONIC_USEC=" in reloading
        manager.wait_for("READY=1", 5.0)

        camera.rename(tmp_path / "unplugged")  # the camera goes away
        manager.collect(1.0)  # a ping may already be on its way
        later = manager.collect(2.0)
        assert "WATCHDOG=1" not in later, later  # no progress, no ping: systemd will restart us

        stop_sent = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        manager.wait_for("STOPPING=1", 2.0)
        assert daemon.wait(timeout=2.0) == 0
        assert time.monotonic() - stop_sent < 2.0
    finally:
        if daemon.poll() is None:
            daemon.kill()
        stderr = daemon.communicate()[1]
    assert "withholding the watchdog ping" in stderr
    assert "camera cam1: not available" in stderr
