"""The bounded hand-off from the pipeline worker to the publisher thread.

The worker must never wait on the network, so :meth:`PublishQueue.offer` never blocks: when
the queue is full the *oldest* waiting message is dropped (a newer decision about a face is
worth more than an older one) and counted against its camera. The publisher thread sleeps in
``zmq.Poller`` on its sockets; the queue wakes it through a pipe file descriptor that the same
poller watches, so a decision is sent as soon as it is handed over, with no polling interval
added to its latency.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from edge.messages import Decision, Status


@dataclass(frozen=True)
class Outgoing:
    """One message waiting for the publisher."""

    body: Decision | Status
    #: One BGR crop (or None) per face of a decision, for the optional JPEG frames.
    crops: tuple[np.ndarray | None, ...] = ()
    #: Monotonic clock when the worker handed it over (start of the ``publish`` stage).
    handed_monotonic_ns: int = field(default_factory=time.monotonic_ns)


class PublishQueue:
    """Thread-safe, bounded, drop-oldest; any number of producers, one consumer (the publisher)."""

    def __init__(self, capacity: int = 256) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._items: collections.deque[Outgoing] = collections.deque()
        self._lock = threading.Lock()
        self._dropped: collections.Counter[str] = collections.Counter()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._closed = False

    @property
    def wake_fd(self) -> int:
        """Readable whenever messages may be waiting: give it to the consumer's poller."""
        return self._wake_read

    def offer(self, body: Decision | Status, crops: tuple[np.ndarray | None, ...] = ()) -> bool:
        """Hand a message over without blocking; False when an older message was dropped for it."""
        if not isinstance(body, (Decision, Status)):
            raise TypeError(f"PublishQueue.offer takes a Decision or a Status, got {type(body).__name__}")
        if crops and (not isinstance(body, Decision) or len(crops) != len(body.faces)):
            faces = len(body.faces) if isinstance(body, Decision) else "no"
            raise ValueError(f"crops: give one crop (or None) per face; the message has {faces} faces, got {len(crops)} crops")
        item = Outgoing(body=body, crops=tuple(crops))
        with self._lock:
            if self._closed:  # shutting down: nobody will send it
                self._dropped[body.camera_id] += 1
                return False
            was_empty = not self._items
            displaced = None
            if len(self._items) >= self.capacity:
                displaced = self._items.popleft()
                self._dropped[displaced.body.camera_id] += 1
            self._items.append(item)
            if was_empty:
                # Under the lock, so that close() cannot free the descriptor in between.
                self._write_wake_byte()
        return displaced is None

    def drain(self) -> list[Outgoing]:
        """Everything waiting, oldest first (consumer side). Clears the wake-up first, so a
        message offered while draining either comes back now or wakes the poller again."""
        try:
            while os.read(self._wake_read, 4096):
                pass
        except BlockingIOError:
            pass
        with self._lock:
            items = list(self._items)
            self._items.clear()
        return items

    def dropped(self, camera_id: str) -> int:
        """Messages of this camera dropped because the queue was full, since start."""
        with self._lock:
            return self._dropped[camera_id]

    def dropped_total(self) -> int:
        with self._lock:
            return sum(self._dropped.values())

    def close(self) -> None:
        """Release the wake-up pipe (the consumer calls this once it has stopped draining)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            os.close(self._wake_read)
            os.close(self._wake_write)

    def wake(self) -> None:
        """Make the consumer's poller return (e.g. to notice a stop request)."""
        with self._lock:
            if not self._closed:
                self._write_wake_byte()

    def _write_wake_byte(self) -> None:
        try:
            os.write(self._wake_write, b"\x01")
        except (BlockingIOError, OSError):
            # A full pipe already means "wake up"; a closed one means shutdown.
            pass
