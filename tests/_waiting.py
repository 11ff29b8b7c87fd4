"""Polling helper shared by tests that wait on threads and processes."""

import time


def wait_for(condition, timeout_s: float = 5.0, poll_s: float = 0.01) -> bool:
    """True as soon as ``condition()`` is true; False if it never was within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll_s)
    return False
