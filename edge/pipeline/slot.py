"""Latest-frame slots: one per camera, read together by the pipeline worker.

A camera does not wait for the pipeline. When a new frame arrives before the worker took the
previous one, the newer frame replaces it and the replaced one is counted as dropped — the
worker always sees the freshest frame and latency cannot build up in a queue (design.md,
"Data flow"). All slots of a daemon share one condition so the worker can wait for a frame
from *any* camera and then take whatever is waiting on every camera as one batch.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class SlotCounters:
    put: int = 0
    taken: int = 0
    #: Frames replaced by a newer one before the worker took them.
    dropped: int = 0


@dataclass
class _Slot(Generic[T]):
    item: T | None = None
    counters: SlotCounters = field(default_factory=SlotCounters)


class LatestFrameSlots(Generic[T]):
    """A latest-item slot per key (camera id), all behind one condition variable."""

    def __init__(self, keys: list[str] | tuple[str, ...]) -> None:
        if len(set(keys)) != len(keys):
            raise ValueError(f"slot keys must be unique, got {list(keys)}")
        self._slots: dict[str, _Slot[T]] = {k: _Slot() for k in keys}
        self._condition = threading.Condition()
        self._closed = False

    def put(self, key: str, item: T) -> bool:
        """Offer the newest item for ``key``; returns False when it replaced an untaken one."""
        with self._condition:
            slot = self._slots[key]
            replaced = slot.item is not None
            if replaced:
                slot.counters.dropped += 1
            slot.item = item
            slot.counters.put += 1
            self._condition.notify_all()
            return not replaced

    def take_all(self, timeout_s: float) -> dict[str, T]:
        """Wait up to ``timeout_s`` for at least one item, then take every waiting item.

        Returns {} on timeout or once closed (after which nothing more is returned)."""
        deadline = time.monotonic() + timeout_s
        with self._condition:
            while not self._closed and not any(s.item is not None for s in self._slots.values()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return {}
                self._condition.wait(remaining)
            if self._closed:
                return {}
            taken: dict[str, T] = {}
            for key, slot in self._slots.items():
                if slot.item is not None:
                    taken[key] = slot.item
                    slot.item = None
                    slot.counters.taken += 1
            return taken

    def close(self) -> None:
        """Wake the worker and make every later take_all return {} at once."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def counters(self, key: str) -> SlotCounters:
        with self._condition:
            c = self._slots[key].counters
            return SlotCounters(c.put, c.taken, c.dropped)
