"""Keep systemd's start timeout from killing a long engine build.

A first TensorRT build took about 9.5 minutes on a Jetson Orin (runtime.md), far past a unit's
default ``TimeoutStartSec``. While the build runs, a thread sends ``EXTEND_TIMEOUT_USEC=`` every
``period_s`` — each message moves the deadline to ``extend_by_s`` from now, so the service lives
exactly as long as the build keeps running and no longer — plus a ``STATUS=`` line for
``systemctl status``. The notifier is anything with ``notify(*fields)`` (the daemon passes
``edge.service.Notifier``, which is a no-op outside systemd).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class SdNotifier(Protocol):
    def notify(self, *fields: str) -> None: ...


class ExtendTimeoutHeartbeat:
    """Context manager: ``with ExtendTimeoutHeartbeat(notifier, "building engine"): build()``."""

    def __init__(self, notifier: SdNotifier | None, what: str, period_s: float = 10.0,
                 extend_by_s: float = 30.0) -> None:
        if not 0 < period_s < extend_by_s:
            raise ValueError(f"need 0 < period_s < extend_by_s (each extension must outlast the next "
                             f"message), got period_s={period_s}, extend_by_s={extend_by_s}")
        self._notifier = notifier
        self.what = what
        self.period_s = period_s
        self.extend_by_s = extend_by_s
        self.sent = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ExtendTimeoutHeartbeat:
        if self._notifier is not None:
            self._thread = threading.Thread(target=self._beat, name="extend-timeout", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        start_s = time.monotonic()
        extend_usec = int(self.extend_by_s * 1_000_000)
        while True:
            elapsed_s = time.monotonic() - start_s
            self._notifier.notify(f"EXTEND_TIMEOUT_USEC={extend_usec}",
                                  f"STATUS={self.what} ({elapsed_s:.0f} s so far)")
            self.sent += 1
            if self._stop.wait(self.period_s):
                return
