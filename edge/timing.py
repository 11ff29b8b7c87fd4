"""Stage timings on every frame, and the rolling statistics the status messages report.

Each frame carries a ``StageTimings`` from the capture thread to the publisher: how long the
capture read waited, then registration, detection, preprocessing, inference, decision,
serialisation and publish — the stages of the design's data flow. ``LatencyWindow`` keeps the
recent values of each stage (and of end-to-end capture→publish latency) for percentiles, and
``RateMeter`` turns event times into frames per second.
"""

from __future__ import annotations

import collections
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import numpy as np

from edge.messages import PIPELINE_STAGES

#: The stages of one frame, in pipeline order (design.md, "Data flow"); the publisher times the
#: last two.
STAGES = PIPELINE_STAGES + ("serialisation", "publish")


class StageTimings:
    """Milliseconds spent per stage for one frame; a stage timed twice accumulates."""

    __slots__ = ("ms",)

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    def add(self, stage: str, duration_ms: float) -> None:
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
        self.ms[stage] = self.ms.get(stage, 0.0) + duration_ms

    @contextmanager
    def stage(self, stage: str) -> Iterator[None]:
        start_ns = time.perf_counter_ns()
        try:
            yield
        finally:
            self.add(stage, (time.perf_counter_ns() - start_ns) / 1e6)

    def to_dict(self) -> dict[str, float]:
        """Stage → ms, in pipeline order (stages not run are left out)."""
        return {s: round(self.ms[s], 3) for s in STAGES if s in self.ms}


class LatencyWindow:
    """The last ``capacity`` values per named series, with percentiles; thread-safe."""

    def __init__(self, capacity: int = 2048) -> None:
        self._capacity = capacity
        self._series: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def add(self, series: str, value_ms: float) -> None:
        with self._lock:
            self._series.setdefault(series, collections.deque(maxlen=self._capacity)).append(value_ms)

    def add_timings(self, timings: StageTimings) -> None:
        for stage, value in timings.ms.items():
            self.add(stage, value)

    def percentiles(self, series: str, qs: tuple[float, ...] = (50, 90, 99)) -> dict[str, float] | None:
        """{"p50": …, "p90": …, "p99": …, "max": …, "count": n} or None when nothing was recorded."""
        with self._lock:
            values = np.fromiter(self._series.get(series, ()), dtype=np.float64)
        if values.size == 0:
            return None
        result = {f"p{q:g}": float(np.percentile(values, q)) for q in qs}
        result["max"] = float(values.max())
        result["count"] = int(values.size)
        return result

    def summary(self) -> dict[str, dict[str, float]]:
        with self._lock:
            names = list(self._series)
        return {name: p for name in names if (p := self.percentiles(name)) is not None}

    def take_summary(self) -> dict[str, dict[str, float]]:
        """``summary()`` of the values since the last take, then start a new window (one per
        status period, so each status message describes its own period)."""
        with self._lock:
            taken, self._series = self._series, {}
        window = LatencyWindow(self._capacity)
        window._series = taken
        return window.summary()


class RateMeter:
    """Events per second over a sliding window of monotonic times; thread-safe."""

    def __init__(self, window_s: float = 5.0) -> None:
        self._window_ns = int(window_s * 1e9)
        self._times: collections.deque[int] = collections.deque()
        self._lock = threading.Lock()
        self.total = 0

    def tick(self, now_ns: int | None = None) -> None:
        now_ns = time.monotonic_ns() if now_ns is None else now_ns
        with self._lock:
            self._times.append(now_ns)
            self.total += 1
            self._trim(now_ns)

    def rate_per_s(self, now_ns: int | None = None) -> float:
        now_ns = time.monotonic_ns() if now_ns is None else now_ns
        with self._lock:
            self._trim(now_ns)
            if len(self._times) < 2:
                return 0.0
            span_ns = self._times[-1] - self._times[0]
            return (len(self._times) - 1) * 1e9 / span_ns if span_ns > 0 else 0.0

    def _trim(self, now_ns: int) -> None:
        while self._times and now_ns - self._times[0] > self._window_ns:
            self._times.popleft()
