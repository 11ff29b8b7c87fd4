"""The service lifecycle under systemd: sd_notify, a progress watchdog, journal logging.

``Notifier`` speaks the sd_notify protocol — a datagram to the Unix socket named by
``NOTIFY_SOCKET`` (a leading ``@`` is Linux's abstract namespace). It uses systemd-python's
``systemd.daemon.notify`` when installed, else sends the datagram itself; without
``NOTIFY_SOCKET`` (not run by systemd) every call is a no-op.

``ProgressWatchdog`` sends ``WATCHDOG=1`` at half of ``WATCHDOG_USEC``, and only when the
pipeline made progress since the last ping — frames captured *and* frames run through the
pipeline worker (detection, and inference when faces are present) — so a stalled camera or a
hung worker gets the daemon restarted instead of being kept alive by a timer. The worker's
frame count stands for "inferences" because a scene without faces runs no model, and an empty
room must not get the daemon killed.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time

try:
    from systemd import daemon as _systemd_daemon
    from systemd import journal as _systemd_journal
except ImportError:  # systemd-python is an optional extra; the fallback below speaks the protocol
    _systemd_daemon = None
    _systemd_journal = None

log = logging.getLogger(__name__)


class Notifier:
    """Sends sd_notify messages to the service manager, when there is one."""

    def __init__(self, environ: dict[str, str] | None = None, use_systemd_python: bool = True) -> None:
        env = os.environ if environ is None else environ
        self.socket_path = env.get("NOTIFY_SOCKET", "")
        # systemd-python reads NOTIFY_SOCKET from the process environment itself, so it is only
        # used when we were given that same environment.
        self._library = _systemd_daemon if use_systemd_python and environ is None else None

    @property
    def enabled(self) -> bool:
        return bool(self.socket_path)

    def notify(self, *fields: str) -> None:
        """Send "KEY=value" fields in one datagram; failures are logged, never raised (the
        service manager going away must not take the pipeline with it)."""
        if not self.enabled:
            return
        message = "\n".join(fields)
        try:
            if self._library is not None:
                self._library.notify(message)
            else:
                self._send(message.encode())
        except OSError as e:
            log.warning("sd_notify to %s failed: %s", self.socket_path, e)

    def _send(self, payload: bytes) -> None:
        address = self.socket_path
        if address.startswith("@"):
            address = "\0" + address[1:]
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(payload, address)

    def ready(self, status: str = "") -> None:
        self.notify("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> None:
        self.notify(f"STATUS={text}")

    def watchdog(self) -> None:
        self.notify("WATCHDOG=1")

    def reloading(self) -> None:
        self.notify("RELOADING=1", f"MONOTONIC_USEC={time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}")

    def stopping(self) -> None:
        self.notify("STOPPING=1")


def watchdog_period_s(environ: dict[str, str] | None = None) -> float | None:
    """Half of WATCHDOG_USEC in seconds, or None when systemd set no watchdog for us.

    WATCHDOG_PID, when set, names the process the watchdog is meant for."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        value = int(usec)
    except ValueError:
        log.warning("ignoring WATCHDOG_USEC=%r: not an integer", usec)
        return None
    return value / 2e6 if value > 0 else None


class ProgressWatchdog:
    """Pings the watchdog when it is due and both progress counters moved since the last ping."""

    def __init__(self, notifier: Notifier, period_s: float | None) -> None:
        self._notifier = notifier
        self.period_s = period_s
        self._last_ping_s = time.monotonic()
        self._last_progress: tuple[int, int] | None = None
        self.pings = 0
        self.withheld = 0

    def poll(self, frames_captured: int, frames_processed: int) -> bool:
        """Call often from the main loop; returns True when it pinged."""
        if self.period_s is None:
            return False
        now_s = time.monotonic()
        if now_s - self._last_ping_s < self.period_s:
            return False
        progress = (frames_captured, frames_processed)
        previous = self._last_progress
        advanced = previous is None or (progress[0] > previous[0] and progress[1] > previous[1])
        if not advanced:
            if self.withheld == 0:
                log.warning("pipeline made no progress in %.1f s (captured %d, processed %d): "
                            "withholding the watchdog ping", now_s - self._last_ping_s, *progress)
            self.withheld += 1
            return False
        self._notifier.watchdog()
        self._last_ping_s = now_s
        self._last_progress = progress
        self.pings += 1
        self.withheld = 0
        return True


def under_journal(environ: dict[str, str] | None = None) -> bool:
    """True when stderr is connected to the journal (systemd sets JOURNAL_STREAM=dev:inode)."""
    env = os.environ if environ is None else environ
    stream = env.get("JOURNAL_STREAM", "")
    if not stream or ":" not in stream:
        return False
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError):
        return False
    return stream == f"{st.st_dev}:{st.st_ino}"


def configure_logging(level: str = "INFO", journal: str = "auto", identifier: str = "edge-daemon") -> str:
    """Route the root logger to the journal (structured fields) or to stderr; returns which.

    ``journal``: "auto" (the journal when running under systemd with systemd-python present),
    "always" or "never". Calling it again (SIGHUP) replaces the handler and level."""
    use_journal = journal == "always" or (journal == "auto" and under_journal())
    if use_journal and _systemd_journal is None:
        if journal == "always":
            raise RuntimeError("logging.journal = \"always\" needs systemd-python: "
                               "pip install 'edge-fas[systemd]'")
        use_journal = False
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_edge_handler", False):
            root.removeHandler(handler)
    if use_journal:
        handler: logging.Handler = _systemd_journal.JournalHandler(SYSLOG_IDENTIFIER=identifier)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._edge_handler = True  # so a reload replaces only our own handler
    root.addHandler(handler)
    root.setLevel(level)
    return "journal" if use_journal else "stderr"
