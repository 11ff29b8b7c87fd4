"""One benchmark run through the daemon's own pipeline: its capture threads, latest-frame slots,
pipeline worker (the stage functions of ``edge.pipeline.stages``), engine, decider and publisher
— assembled as ``edge.pipeline.daemon.Daemon`` assembles them, with a recorder listening
(``edge.bench.recorder``) and cameras whose schedule is known (``edge.bench.sources``).

Method: the engine is warmed up before the cameras start; once the first decision was sent (as
the daemon waits for its first cycle before READY=1), ``warm_up_s`` more of frames are run and
discarded (caches, the tracker settling); then every frame *scheduled* within the next
``duration_s`` is measured.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from camera_plugins.base import CameraPlugin
from edge.config import DaemonConfig, check_model
from edge.decision import Decider
from edge.messages import BackendInfo, ModelInfo
from edge.pipeline.capture import CaptureThread
from edge.pipeline.daemon import _short_device
from edge.pipeline.slot import LatestFrameSlots
from edge.pipeline.stages import CameraRuntime, camera_finders
from edge.pipeline.worker import PipelineWorker
from edge.publishing.publisher import Publisher
from edge.bench import resources
from edge.bench.recorder import FrameRecord, PublishTap, Recorder, RecordingQueue, StageTap
from edge.bench.sources import ScheduledCamera, in_phase
from engines.runtime.selection import open_engine
from engines.sidecar import file_sha256

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scenario:
    #: "paced" (camera-paced at ``fps``) or "closed" (closed loop, as fast as possible).
    mode: str = "paced"
    fps: float = 30.0
    duration_s: float = 60.0
    warm_up_s: float = 5.0

    def __post_init__(self) -> None:
        if self.mode not in ("paced", "closed"):
            raise ValueError(f"mode={self.mode!r}: use 'paced' (camera-paced) or 'closed' (closed loop)")
        if not self.duration_s > 0 or self.warm_up_s < 0:
            raise ValueError(f"duration_s={self.duration_s!r} must be > 0 and warm_up_s={self.warm_up_s!r} ≥ 0")


@dataclass
class RunResult:
    scenario: Scenario
    window_start_ns: int
    window_end_ns: int
    records: list[FrameRecord]
    cameras: dict[str, CameraPlugin]
    #: Per camera: frames dropped per stage within the window.
    drops: dict[str, dict[str, int]]
    cpu: dict
    peak_memory_mb: float
    engine: dict
    warm_up_ms: float
    extra: dict = field(default_factory=dict)


def _wall_to_monotonic(cameras: dict[str, CameraPlugin]) -> Callable[[str, int], int]:
    offset_ns = time.time_ns() - time.monotonic_ns()

    def convert(camera_id: str, wall_ns: int) -> int:
        camera = cameras.get(camera_id)
        if isinstance(camera, ScheduledCamera):
            return camera.wall_to_monotonic_ns(wall_ns)
        return wall_ns - offset_ns  # a live camera: its read time on the host clocks
    return convert


def _drain(recorder: Recorder, camera_ids: list[str], window_end_ns: int, timeout_s: float = 10.0) -> None:
    """Wait until every camera has a decision on a frame scheduled after the window.

    Only then has every frame of the window been answered (by itself or a newer frame), so a
    pipeline running late at the end is charged its full delay instead of being cut off."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answered = {r.camera_id for r in recorder.published() if r.scheduled_ns >= window_end_ns}
        if answered >= set(camera_ids):
            return
        time.sleep(0.02)


def run(config: DaemonConfig, cameras: dict[str, CameraPlugin], scenario: Scenario,
        progress: Callable[[float], None] | None = None) -> RunResult:
    """Run the pipeline on ``cameras`` (id → plugin) and return what was recorded in the window."""
    sidecar = check_model(config)
    opened = open_engine(config.model_path(), config.engine.backend,
                         input_chw=(len(sidecar.input.channels), sidecar.input.size_px, sidecar.input.size_px),
                         max_batch=config.engine.batch_limit, threads=config.engine.threads,
                         gpu=config.engine.gpu, cache_dir=config.engine_cache_dir(),
                         fallback_to_cpu=config.engine.fallback_to_cpu)
    engine = opened.engine
    warm_up_ms = engine.warm_up()
    info = engine.info()
    backend = BackendInfo(name=info.backend, device=_short_device(info.device), precision=info.precision,
                          fallback=opened.fallback, fallback_reason=opened.fallback_reason)
    model = ModelInfo(id=f"{sidecar.model.architecture}:{Path(info.artefact_path).name}", sha256=info.artefact_sha256)
    decider = Decider(sidecar.thresholds.per_camera, sidecar.thresholds.uncertain_half_width, config.decision)

    recorder = Recorder(_wall_to_monotonic(cameras))
    queue = RecordingQueue(recorder, config.publish.queue_capacity)
    publisher = Publisher(config.publish, queue, on_published=recorder.on_published)
    publisher.stats = PublishTap(recorder)
    slots = LatestFrameSlots(list(cameras))
    captures = {cid: CaptureThread(cid, cam, slots) for cid, cam in cameras.items()}
    finders = camera_finders(config.detection, list(cameras), config.pipeline.parallel_cameras)
    runtimes = {cid: CameraRuntime(cid, _threshold_model(camera, decider), finders[cid]) for cid, camera in cameras.items()}
    worker = PipelineWorker(slots, runtimes, engine, decider, config.processing, queue, model, backend,
                            parallel_cameras=config.pipeline.parallel_cameras)
    for cid in cameras:
        worker.counters[cid].latency = StageTap(recorder, cid)
    scheduled = [c for c in cameras.values() if isinstance(c, ScheduledCamera)]
    for camera in scheduled:
        camera.paced = scenario.mode == "paced"
    if scenario.mode == "closed":
        recorder.on_frame_published = lambda cid, _record: _release(cameras.get(cid))

    publisher.start()
    try:
        worker.start()
        in_phase(scheduled)
        for capture in captures.values():
            capture.start()
        first_decision_ms = _wait_for_first_decision(recorder, worker, captures)
        _wait(scenario.warm_up_s, worker, captures, None)
        start = _counters(cameras, captures, slots, worker, queue, publisher)
        cpu_start = resources.snapshot()
        window_start_ns = time.monotonic_ns()
        _wait(scenario.duration_s, worker, captures, progress)
        window_end_ns = time.monotonic_ns()
        cpu_end = resources.snapshot()
        end = _counters(cameras, captures, slots, worker, queue, publisher)
        _drain(recorder, list(cameras), window_end_ns)
    finally:
        for capture in captures.values():
            capture.stop()
        worker.stop()
        for thread in [*captures.values(), worker]:
            thread.join(2.0)
        publisher.stop(timeout_s=1.0)
        engine.close()
    records = [r for r in recorder.published() if window_start_ns <= r.scheduled_ns < window_end_ns]
    drops = {cid: {stage: end[cid][stage] - start[cid][stage] for stage in end[cid]} for cid in cameras}
    descriptions = {cid: c.description.to_dict() if c.description else None for cid, c in captures.items()}
    engine_facts = {"backend": info.backend, "device": info.device, "precision": info.precision,
                    "model_path": str(config.model_path()), "artefact_path": info.artefact_path,
                    "artefact_sha256": info.artefact_sha256, "requested_backend": config.engine.backend,
                    "threads": config.engine.threads, "fallback": opened.fallback,
                    "fallback_reason": opened.fallback_reason, "detector": config.detection.detector,
                    "model_sha256": file_sha256(config.model_path())}
    return RunResult(scenario, window_start_ns, window_end_ns, records, cameras, drops,
                     resources.cpu_between(cpu_start, cpu_end), resources.peak_memory_mb(), engine_facts,
                     warm_up_ms, {"camera_descriptions": descriptions, "first_decision_ms": first_decision_ms})


def _release(camera: CameraPlugin | None) -> None:
    if isinstance(camera, ScheduledCamera):
        camera.release()


def _threshold_model(camera: CameraPlugin, decider: Decider) -> str:
    """The calibrated threshold of the camera's model ("sr300", "dcam710") when the model has one."""
    name = getattr(camera, "camera_model", "") or getattr(getattr(camera, "options", None), "camera_model", "")
    return name if name in decider.calibrated_camera_models else "default"


def _wait_for_first_decision(recorder: Recorder, worker: PipelineWorker, captures: dict[str, CaptureThread],
                             timeout_s: float = 300.0) -> float:
    """Like the daemon's readiness: the first decision sent means every stage ran once (compiled
    kernels, detector, engine); only then does the warm-up start. Returns how long it took."""
    start = time.monotonic()
    while not recorder.published():
        if time.monotonic() - start > timeout_s:
            raise RuntimeError(f"no decision within {timeout_s:g} s of starting the cameras")
        _wait(0.05, worker, captures, None)
    return (time.monotonic() - start) * 1000


def _wait(seconds: float, worker: PipelineWorker, captures: dict[str, CaptureThread],
          progress: Callable[[float], None] | None) -> None:
    """Sleep ``seconds`` in short steps, failing at once if a pipeline thread died."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(left, 0.25))
        for thread in [worker, *captures.values()]:
            if thread.error is not None:
                raise RuntimeError(f"{thread.name} failed during the benchmark: {thread.error}") from thread.error
        if progress is not None:
            progress(min(1.0, 1 - max(left - 0.25, 0) / seconds))


def _counters(cameras, captures, slots, worker, queue, publisher) -> dict[str, dict[str, int]]:
    """Every drop counter of every camera, by the stage that dropped the frame."""
    hwm = publisher.counters().hwm_dropped
    counters = {}
    for cid, camera in cameras.items():
        counters[cid] = {
            "capture": camera.skipped if isinstance(camera, ScheduledCamera) else 0,
            "bad_frames": captures[cid].bad_frames + worker.counters[cid].bad_frames,
            "latest_frame_slot": slots.counters(cid).dropped,
            "publish_queue": queue.dropped(cid),
            "publish_hwm": hwm.get(cid, 0),
        }
    return counters
