"""Under systemd an engine build keeps extending the start timeout: EXTEND_TIMEOUT_USEC arrives
through a real NOTIFY_SOCKET while a (simulated-duration) build runs, and stops when it ends."""

from __future__ import annotations

import hashlib
import socket
import threading
import time

import pytest

from edge.service import Notifier
from engines.tensorrt.cache import EngineCache
from engines.tensorrt.cache_key import BuildSpec, EngineKey
from engines.tensorrt.heartbeat import ExtendTimeoutHeartbeat
from tests._trt_fixtures import RTX, SimulatedBuild


@pytest.fixture
def service_manager(tmp_path):
    """systemd's end of sd_notify: a datagram socket; returns (socket, environment for Notifier)."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(0.05)
    yield sock, {"NOTIFY_SOCKET": str(path)}
    sock.close()


def drain(sock) -> list[tuple[float, str]]:
    received = []
    while True:
        try:
            received.append((time.monotonic(), sock.recv(4096).decode()))
        except socket.timeout:
            return received


class Listener(threading.Thread):
    """Receives while the build runs, so each message's arrival time is known."""

    def __init__(self, sock) -> None:
        super().__init__(daemon=True)
        self.sock = sock
        self.received: list[tuple[float, str]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.received += drain(self.sock)


def test_a_long_build_keeps_extending_the_start_timeout(tmp_path, service_manager):
    sock, environ = service_manager
    model = tmp_path / "afa.onnx"
    model.write_bytes(b"model bytes")
    key = EngineKey.of(model.name, hashlib.sha256(b"model bytes").hexdigest(), RTX, BuildSpec())
    cache = EngineCache(tmp_path / "cache", heartbeat_period_s=0.1, heartbeat_extend_s=0.5)
    build = SimulatedBuild(duration_s=0.55)
    listener = Listener(sock)
    listener.start()
    started_s = time.monotonic()
    cache.ensure(model, key, BuildSpec(), build, notifier=Notifier(environ, use_systemd_python=False))
    ended_s = time.monotonic()
    time.sleep(0.1)
    listener.done.set()
    listener.join()
    messages = listener.received
    extends = [(t, m) for t, m in messages if "EXTEND_TIMEOUT_USEC=500000" in m]
    assert build.calls == 1
    assert len(extends) >= 4, messages  # one at the start, then every 0.1 s of a 0.55 s build
    assert all(f"STATUS=building TensorRT engine {key.file_name()}" in m for _, m in extends)
    gaps = [b - a for (a, _), (b, _) in zip(extends, extends[1:])]
    assert max(gaps) < 0.5  # never a gap as long as the extension itself
    assert extends[0][0] - started_s < 0.5
    assert all(t <= ended_s + 0.05 for t, _ in extends)  # sent during the build, not after
    time.sleep(0.25)
    assert drain(sock) == []  # the heartbeat stopped with the build
    assert ended_s - started_s >= 0.55


def test_no_build_means_no_timeout_extension(tmp_path, service_manager):
    sock, environ = service_manager
    model = tmp_path / "afa.onnx"
    model.write_bytes(b"model bytes")
    key = EngineKey.of(model.name, hashlib.sha256(b"model bytes").hexdigest(), RTX, BuildSpec())
    cache = EngineCache(tmp_path / "cache", heartbeat_period_s=0.05, heartbeat_extend_s=0.5)
    cache.ensure(model, key, BuildSpec(), SimulatedBuild())
    drain(sock)
    cache.ensure(model, key, BuildSpec(), SimulatedBuild(), notifier=Notifier(environ, use_systemd_python=False))
    assert drain(sock) == []


def test_each_extension_must_outlast_the_next_message():
    with pytest.raises(ValueError, match="period_s < extend_by_s"):
        ExtendTimeoutHeartbeat(None, "building", period_s=30, extend_by_s=10)
    with ExtendTimeoutHeartbeat(None, "building") as quiet:  # outside systemd: nothing to send
        pass
    assert quiet.sent == 0
