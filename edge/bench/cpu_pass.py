"""Where the CPU goes, frame by frame, steady even on a loaded machine; and two configurations
side by side.

The threaded run measures wall time, which other processes inflate on a shared box. A
``StagePath`` runs the daemon's own stage functions (``edge.pipeline.stages``) one frame at a
time on the calling thread, with nothing else of ours running; ``cpu_pass`` charges each stage
the CPU time of the whole process (``time.process_time``: ONNX Runtime's and OpenCV's worker
threads included). What another process takes from us is not counted; what our stages cost is.
Two StagePaths with different configurations make the "two configs" A/B comparison.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from edge.bench.stats import summarise
from edge.config import DaemonConfig, check_model
from edge.decision import Decider
from edge.detection.finder import FaceFinder
from edge.frames import FrameSet
from edge.pipeline.capture import CapturedFrame
from edge.pipeline.stages import CameraRuntime, decide, find_faces, prepare_inputs, score_faces, start_plan
from engines.runtime.selection import open_engine

STAGES = ("registration", "detection", "preprocessing", "inference", "decision")


class StagePath:
    """The stage functions of one configuration, fed the frames in turn (one call = one frame)."""

    def __init__(self, config: DaemonConfig, frames: Sequence[FrameSet]) -> None:
        if not frames:
            raise ValueError("StagePath needs at least one frame")
        self.config = config
        self.frames = frames
        sidecar = check_model(config)
        self.engine = open_engine(
            config.model_path(), config.engine.backend,
            input_chw=(len(sidecar.input.channels), sidecar.input.size_px, sidecar.input.size_px),
            max_batch=config.engine.batch_limit, threads=config.engine.threads, gpu=config.engine.gpu,
            cache_dir=config.engine_cache_dir()).engine
        self.engine.warm_up()
        detector = config.detection.create_detector()
        self.camera = CameraRuntime("bench", "default", FaceFinder(config.detection, detector))
        self.decider = Decider(sidecar.thresholds.per_camera, sidecar.thresholds.uncertain_half_width,
                               config.decision)
        self.frames_processed = 0

    def __call__(self) -> tuple[dict[str, float], int]:
        """Process the next frame; (process-CPU ms per stage, faces found)."""
        frame = self.frames[self.frames_processed % len(self.frames)]
        captured = CapturedFrame(dataclasses.replace(frame, frame_index=self.frames_processed), 0.0)
        self.frames_processed += 1
        spent = {}
        t = time.process_time_ns()
        plan = start_plan(captured, self.camera)
        spent["registration"], t = _since(t)
        find_faces(plan)
        spent["detection"], t = _since(t)
        prepare_inputs(plan, self.config.processing)
        spent["preprocessing"], t = _since(t)
        score_faces([plan], self.engine)
        spent["inference"], t = _since(t)
        decide(plan, self.decider)
        spent["decision"], t = _since(t)
        return spent, len(plan.faces)

    def close(self) -> None:
        self.engine.close()


def cpu_pass(config: DaemonConfig, frames: Sequence[FrameSet], count: int = 100, warm_up: int = 10) -> dict:
    """Process-CPU milliseconds per stage over ``count`` frames (after ``warm_up`` excluded)."""
    if count < 1:
        raise ValueError(f"count={count}: the CPU pass needs at least one frame")
    path = StagePath(config, frames)
    samples: dict[str, list[float]] = {stage: [] for stage in (*STAGES, "total", "preprocessing_per_face")}
    try:
        for i in range(warm_up + count):
            spent, faces = path()
            if i < warm_up:
                continue
            for stage, ms in spent.items():
                samples[stage].append(ms)
            samples["total"].append(sum(spent.values()))
            if faces:
                samples["preprocessing_per_face"].append(spent["preprocessing"] / faces)
    finally:
        path.close()
    return {"frames": count, "warm_up_frames": warm_up, "clock": "process CPU time (all threads of the process)",
            "stages": {name: summarise(values, f"CPU {name}", max_cov=float("inf")).to_dict()
                       for name, values in samples.items() if values}}


def _since(start_ns: int) -> tuple[float, int]:
    now = time.process_time_ns()
    return (now - start_ns) / 1e6, now
