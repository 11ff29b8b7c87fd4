"""sd_notify over a real datagram socket, the progress watchdog, and logging routes."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time

import pytest

from edge.service import Notifier, ProgressWatchdog, configure_logging, watchdog_period_s


def _bound_socket(address: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(2.0)
    return sock


@pytest.mark.parametrize("use_systemd_python", [True, False], ids=["systemd-python", "own-sender"])
def test_notify_reaches_a_filesystem_socket(tmp_path, monkeypatch, use_systemd_python):
    path = str(tmp_path / "notify.sock")
    with _bound_socket(path) as server:
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        notifier = Notifier(use_systemd_python=use_systemd_python)
        notifier.ready("fps 30")
        assert server.recv(4096) == b"READY=1\nSTATUS=fps 30"
        notifier.watchdog()
        assert server.recv(4096) == b"WATCHDOG=1"
        notifier.reloading()
        fields = server.recv(4096).decode().split("\n")
        assert fields[0] == "RELOADING=1" and fields[1].startswith("MONOTONIC_USEC=")
        notifier.stopping()
        assert server.recv(4096) == b"STOPPING=1"


def test_own_sender_reaches_an_abstract_socket():
    name = f"edge-test-{os.getpid()}-{time.monotonic_ns()}"
    with _bound_socket("\0" + name) as server:
        Notifier({"NOTIFY_SOCKET": "@" + name}).status("hello")
        assert server.recv(4096) == b"STATUS=hello"


def test_without_notify_socket_nothing_is_sent_and_nothing_fails():
    notifier = Notifier({})
    assert not notifier.enabled
    notifier.ready()  # no socket, no exception


def test_a_vanished_service_manager_is_logged_not_raised(tmp_path, caplog):
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    with caplog.at_level(logging.WARNING):
        notifier.watchdog()
    assert "sd_notify" in caplog.text and "gone.sock" in caplog.text


def test_watchdog_period_is_half_of_watchdog_usec():
    assert watchdog_period_s({"WATCHDOG_USEC": "2000000"}) == 1.0
    assert watchdog_period_s({}) is None
    assert watchdog_period_s({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_period_s({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid())}) == 1.0
    assert watchdog_period_s({"WATCHDOG_USEC": "soon"}) is None


def test_progress_watchdog_pings_only_when_both_counters_advanced(tmp_path):
    path = str(tmp_path / "notify.sock")
    with _bound_socket(path) as server:
        server.settimeout(0.05)
        dog = ProgressWatchdog(Notifier({"NOTIFY_SOCKET": path}), period_s=0.05)
        assert not dog.poll(1, 1)  # not due yet
        time.sleep(0.06)
        assert dog.poll(1, 1) and server.recv(64) == b"WATCHDOG=1"
        time.sleep(0.06)
        assert not dog.poll(5, 1)  # frames captured but the worker is stuck
        assert not dog.poll(1, 9)  # worker ran but no new frames (camera stalled)
        with pytest.raises(socket.timeout):
            server.recv(64)
        assert dog.poll(6, 2) and server.recv(64) == b"WATCHDOG=1"
        assert dog.pings == 2
    assert not ProgressWatchdog(Notifier({}), period_s=None).poll(10, 10)


@pytest.fixture
def restored_root_logger():
    """configure_logging installs a handler on pytest's captured stderr: take it off afterwards,
    or later tests log into a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_logging_goes_to_stderr_outside_systemd_and_reload_replaces_the_handler(capsys, restored_root_logger):
    assert configure_logging("INFO", journal="auto") == "stderr"
    assert configure_logging("DEBUG", journal="never") == "stderr"
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_edge_handler", False)]
    assert len(ours) == 1
    assert logging.getLogger().level == logging.DEBUG


def test_logging_goes_to_the_journal_when_stderr_is_the_journal_stream():
    # A child whose JOURNAL_STREAM names its own stderr believes it runs under systemd.
    code = (
        "import os, sys; st = os.fstat(2); os.environ['JOURNAL_STREAM'] = f'{st.st_dev}:{st.st_ino}';"
        "from edge.service import configure_logging; print(configure_logging('INFO'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "journal"
