"""What the publisher thread counts and times, per camera, for the status messages."""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass

import numpy as np

from edge.messages import Drops, LatencyPercentiles, Status

#: Samples kept per stage and camera between two status messages (a 30 fps camera gives 30).
_WINDOW_SAMPLES = 4096


def percentiles(samples_ms: list[float]) -> LatencyPercentiles:
    """count, p50, p90, p99 and max of a list of latencies in milliseconds."""
    if not samples_ms:
        return LatencyPercentiles(count=0, p50_ms=0.0, p90_ms=0.0, p99_ms=0.0, max_ms=0.0)
    values = np.asarray(samples_ms, dtype=np.float64)
    p50, p90, p99 = np.percentile(values, [50, 90, 99])
    return LatencyPercentiles(
        count=int(values.size), p50_ms=float(p50), p90_ms=float(p90), p99_ms=float(p99), max_ms=float(values.max())
    )


@dataclass(frozen=True)
class PublisherCounters:
    """A consistent copy of the publisher's counters, safe to read from any thread."""

    #: Sequence number of the last message sent (-1 before the first).
    last_sequence: int
    messages_sent: int
    #: Messages refused because a subscriber was at its high-water mark, per camera (a lower
    #: bound of the messages subscribers lost; see edge.publishing.publisher).
    hwm_dropped: dict[str, int]
    #: Connected subscriber peers (accepted connections on the PUB endpoints).
    subscribers: int
    snapshot_requests: int
    #: Messages that could not be built or encoded (logged with the reason) and were skipped.
    publish_errors: int = 0

    @property
    def hwm_dropped_total(self) -> int:
        return sum(self.hwm_dropped.values())


class PublishStats:
    """Counters written by the publisher thread; :meth:`counters` may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.last_sequence = -1
        self.messages_sent = 0
        self.snapshot_requests = 0
        self.publish_errors = 0
        self._hwm_dropped: collections.Counter[str] = collections.Counter()
        self._peers: set[int] = set()
        self._latency: dict[tuple[str, str], collections.deque[float]] = collections.defaultdict(
            lambda: collections.deque(maxlen=_WINDOW_SAMPLES)
        )

    def sent(self, sequence: int) -> None:
        with self._lock:
            self.last_sequence = sequence
            self.messages_sent += 1

    def hwm_drop(self, camera_id: str) -> None:
        with self._lock:
            self._hwm_dropped[camera_id] += 1

    def peer_connected(self, peer: int) -> None:
        with self._lock:
            self._peers.add(peer)

    def peer_disconnected(self, peer: int) -> None:
        with self._lock:
            self._peers.discard(peer)

    def snapshot_request(self) -> None:
        with self._lock:
            self.snapshot_requests += 1

    def publish_error(self) -> None:
        with self._lock:
            self.publish_errors += 1

    def time(self, camera_id: str, stage: str, elapsed_ms: float) -> None:
        self._latency[(camera_id, stage)].append(elapsed_ms)

    def samples(self, camera_id: str, stage: str) -> list[float]:
        """The current window of one stage (call it from the publisher thread or after stop)."""
        return list(self._latency.get((camera_id, stage), ()))

    def counters(self) -> PublisherCounters:
        with self._lock:
            return PublisherCounters(
                last_sequence=self.last_sequence,
                messages_sent=self.messages_sent,
                hwm_dropped=dict(self._hwm_dropped),
                subscribers=len(self._peers),
                snapshot_requests=self.snapshot_requests,
                publish_errors=self.publish_errors,
            )

    def complete_status(self, status: Status, queue_dropped: int) -> Status:
        """The worker's status with the publisher's own figures filled in; starts a new latency window."""
        with self._lock:
            hwm = self._hwm_dropped[status.camera_id]
            subscribers = len(self._peers)
        latency = dict(status.latency_ms)
        for stage in ("serialisation", "publish", "capture_to_publish"):
            window = self._latency.pop((status.camera_id, stage), None)
            if window:
                latency[stage] = percentiles(list(window))
        drops = Drops(stages=dict(status.drops.stages), publish_queue=queue_dropped, publish_hwm=hwm)
        return status.model_copy(update={"drops": drops, "subscribers": subscribers, "latency_ms": latency})
