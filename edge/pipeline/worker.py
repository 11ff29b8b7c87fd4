"""The pipeline worker: takes the latest frame of every camera, runs the stages, and hands the
decisions to the publisher's queue.

Faces from all cameras that have a frame waiting go into one engine call (design.md), so a
daemon with two cameras pays one inference per cycle, not two. Before that call, each camera's
frame is detected and prepared (its "front" stages) on a thread of its own when
``parallel_cameras`` is on and more than one frame is waiting: detection is most of a frame's
cost and OpenCV and the numba kernels release the GIL, so two cameras on two cores finish
their fronts in about the time of one. The worker never waits on the network:
``PublishQueue.offer`` drops the oldest message when full.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from edge.decision import Decider
from edge.messages import BackendInfo, ModelInfo
from edge.pipeline.capture import CapturedFrame
from edge.pipeline.slot import LatestFrameSlots
from edge.pipeline.stages import (CameraRuntime, FramePlan, decide, decision_message, face_crops, find_faces,
                                  prepare_inputs, score_faces, start_plan)
from edge.processing.spec import PreprocessSpec
from edge.publishing.handoff import PublishQueue
from edge.timing import LatencyWindow, RateMeter
from engines.runtime.base import Engine

log = logging.getLogger(__name__)


class CameraCounters:
    """What the worker reports per camera for status messages."""

    def __init__(self) -> None:
        self.processed = RateMeter()
        self.latency = LatencyWindow()
        #: Frame arrival → decision handed to the publisher ("total"), for systemd's STATUS= line.
        self.total = LatencyWindow(capacity=1024)
        self.bad_frames = 0


class PipelineWorker(threading.Thread):
    def __init__(self, slots: LatestFrameSlots[CapturedFrame], cameras: dict[str, CameraRuntime],
                 engine: Engine, decider: Decider, spec: PreprocessSpec, queue: PublishQueue,
                 model: ModelInfo, backend: BackendInfo, jpeg_crops: bool = False,
                 parallel_cameras: bool = False) -> None:
        super().__init__(name="pipeline-worker", daemon=True)
        self._slots = slots
        self.cameras = cameras
        self._engine = engine
        self._decider = decider
        self._spec = spec
        self._queue = queue
        self._model = model
        self._backend = backend
        self._jpeg_crops = jpeg_crops
        self._stop_event = threading.Event()
        self.counters = {camera_id: CameraCounters() for camera_id in cameras}
        #: Worker cycles completed (one per take of the slots): the watchdog's progress measure.
        self.cycles = 0
        self.error: BaseException | None = None
        # One front thread per camera; each camera's FaceFinder must then own its detector.
        self._fronts = (ThreadPoolExecutor(len(cameras), thread_name_prefix="pipeline-front")
                        if parallel_cameras and len(cameras) > 1 else None)

    def stop(self) -> None:
        self._stop_event.set()
        self._slots.close()

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                frames = self._slots.take_all(timeout_s=0.5)
                if frames:
                    self.process(frames)
        except BaseException as e:  # recorded for the daemon, which exits non-zero on it
            self.error = e
            log.exception("pipeline worker failed")
        finally:
            self.close()

    def close(self) -> None:
        """Ends the front threads (``run`` does it when it returns; callers of ``process`` must)."""
        if self._fronts is not None:
            self._fronts.shutdown(wait=True)

    def process(self, frames: dict[str, CapturedFrame]) -> None:
        if self._fronts is not None and len(frames) > 1:
            fronts = list(self._fronts.map(self._front, frames.items()))
        else:
            fronts = [self._front(item) for item in frames.items()]
        plans = [plan for plan in fronts if plan is not None]
        score_faces(plans, self._engine)
        for plan in plans:
            decide(plan, self._decider)
            camera_id = plan.camera.camera_id
            threshold = self._decider.threshold_for(plan.camera.threshold_model)
            message = decision_message(plan, self._model, self._backend, threshold,
                                       self._decider.policy.expiry_ms)
            self._queue.offer(message, face_crops(plan) if self._jpeg_crops else ())
            counters = self.counters[camera_id]
            counters.latency.add_timings(plan.timings)
            arrived_ns = plan.frameset.timestamps.host_monotonic_ns
            counters.total.add("total", (time.monotonic_ns() - arrived_ns) / 1e6)
            counters.processed.tick()
        self.cycles += 1

    def _front(self, item: tuple[str, CapturedFrame]) -> FramePlan | None:
        """Registration, detection and per-face preparation of one camera's frame; None for a
        malformed frame, which is counted and skipped."""
        camera_id, captured = item
        try:
            plan = start_plan(captured, self.cameras[camera_id])
            find_faces(plan)
        except ValueError as e:
            self.counters[camera_id].bad_frames += 1
            log.warning("camera %s: frame %d skipped: %s", camera_id, captured.frameset.frame_index, e)
            return None
        prepare_inputs(plan, self._spec)
        return plan
