"""Per-frame records taken from the daemon's own pipeline as it runs, without changing it.

The worker and the publisher already time every stage (``edge.timing``, ``edge.publishing.stats``);
the recorder listens where those figures are handed on, in the order the daemon's code hands
them on for each frame:

1. the worker offers the frame's decision to the publish queue (``RecordingQueue.offer``):
   camera, frame index, scheduled time, number of faces, time handed over;
2. the worker files the frame's stage timings in its camera's window (``StageTap.add_timings``);
3. the publisher times serialisation and publish (``PublishTap.time``) and then reports the sent
   message (``Recorder.on_published``): the time the decision left.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from edge.messages import Decision, Status
from edge.publishing.handoff import PublishQueue
from edge.publishing.stats import PublishStats
from edge.timing import LatencyWindow, StageTimings

_FRAME_INDEX = re.compile(rb'"frame_index":(\d+)')
_CAMERA_ID = re.compile(rb'"camera_id":"([^"]+)"')


@dataclass
class FrameRecord:
    camera_id: str
    frame_index: int
    #: When the camera produced the frame (monotonic ns): latency is measured from here.
    scheduled_ns: int
    faces: int
    #: When the worker handed the decision to the publisher.
    handed_ns: int
    stages_ms: dict[str, float] = field(default_factory=dict)
    #: When the decision had been sent (0 until then).
    published_ns: int = 0

    @property
    def end_to_end_ms(self) -> float:
        return (self.published_ns - self.scheduled_ns) / 1e6


class Recorder:
    """Collects a FrameRecord per decision; thread-safe (worker and publisher threads write)."""

    def __init__(self, wall_to_monotonic_ns: Callable[[str, int], int]) -> None:
        self._wall_to_monotonic_ns = wall_to_monotonic_ns
        self._lock = threading.Lock()
        self.records: dict[tuple[str, int], FrameRecord] = {}
        self._last_offered: dict[str, FrameRecord] = {}
        self._publisher_stages: dict[str, dict[str, float]] = {}
        #: Called with (camera id, record) once a decision was published (closed-loop release).
        self.on_frame_published: Callable[[str, FrameRecord], None] | None = None

    def offered(self, decision: Decision) -> None:
        record = FrameRecord(decision.camera_id, decision.frame_index,
                             self._wall_to_monotonic_ns(decision.camera_id, decision.capture_wall_ns),
                             len(decision.faces), time.monotonic_ns())
        with self._lock:
            self.records[(decision.camera_id, decision.frame_index)] = record
            self._last_offered[decision.camera_id] = record

    def timed(self, camera_id: str, timings: StageTimings) -> None:
        with self._lock:
            record = self._last_offered.get(camera_id)
            if record is not None:
                record.stages_ms.update(timings.ms)

    def publisher_timed(self, camera_id: str, stage: str, elapsed_ms: float) -> None:
        self._publisher_stages.setdefault(camera_id, {})[stage] = elapsed_ms

    def on_published(self, topic: bytes, payload: bytes) -> None:
        now_ns = time.monotonic_ns()
        camera, index = _CAMERA_ID.search(payload), _FRAME_INDEX.search(payload)
        if b"/decision/" not in topic or camera is None or index is None:
            return
        camera_id = camera.group(1).decode()
        with self._lock:
            record = self.records.get((camera_id, int(index.group(1))))
            if record is None:
                return
            record.published_ns = now_ns
            stages = self._publisher_stages.pop(camera_id, {})
            record.stages_ms.update({s: v for s, v in stages.items() if s in ("serialisation", "publish")})
        if self.on_frame_published is not None:
            self.on_frame_published(camera_id, record)

    def published(self) -> list[FrameRecord]:
        with self._lock:
            return sorted((r for r in self.records.values() if r.published_ns),
                          key=lambda r: (r.scheduled_ns, r.camera_id))


class RecordingQueue(PublishQueue):
    """The daemon's publish queue, telling the recorder about each decision handed over."""

    def __init__(self, recorder: Recorder, capacity: int = 256) -> None:
        super().__init__(capacity)
        self._recorder = recorder

    def offer(self, body: Decision | Status, crops=()) -> bool:
        if isinstance(body, Decision):
            self._recorder.offered(body)
        return super().offer(body, crops)


class StageTap(LatencyWindow):
    """A camera's latency window in the worker that also hands each frame's timings on."""

    def __init__(self, recorder: Recorder, camera_id: str) -> None:
        super().__init__()
        self._recorder = recorder
        self._camera_id = camera_id

    def add_timings(self, timings: StageTimings) -> None:
        self._recorder.timed(self._camera_id, timings)
        super().add_timings(timings)


class PublishTap(PublishStats):
    """The publisher's statistics, also handing each message's stage times on."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self._recorder = recorder

    def time(self, camera_id: str, stage: str, elapsed_ms: float) -> None:
        self._recorder.publisher_timed(camera_id, stage, elapsed_ms)
        super().time(camera_id, stage, elapsed_ms)
