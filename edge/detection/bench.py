"""Benchmark: milliseconds per 640×480 frame for each face detector, with 1 and 5 faces.

    python -m edge.detection.bench [--runs 60] [--camera sr300] [--threads N] [--json out.json]

Frames come from the simulator (normal light, faces at 0.8–1.1 m). Each detector is built once,
warmed up on the frame (excluded), then timed over ``--runs`` calls on the same frame, in
wall time (``perf_counter``), in process CPU time (``process_time``: all threads, above the
wall time when the runtime uses several) and in the calling thread's CPU time (``thread_time``:
the whole cost with ``--threads 1``; on a shared, loaded machine the steadiest figure). Reported: median, p90 and min per call, and how many faces the detector found.
The last rows time the whole ``FaceFinder.find`` (policy ``auto``, filters, tracker) — what the
daemon runs per frame — with each detector on the full frame (``max_detection_width_px = 640``)
and as configured by default (320: the image halved before detection).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import cv2
import numpy as np
import onnxruntime

from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scene import FaceSpec, Scene
from edge.detection.base import create_detector, detector_names
from edge.detection.config import DetectionConfig
from edge.detection.finder import FaceFinder

#: Nose-tip positions (fractions of the image) and distances of the benchmark's five faces.
FIVE_FACES = (
    ((0.14, 0.42), 1000.0), ((0.33, 0.40), 900.0), ((0.52, 0.45), 800.0),
    ((0.70, 0.40), 950.0), ((0.87, 0.43), 1100.0),
)


def bench_frames(camera: str) -> dict[int, object]:
    renderer = SimRenderer(camera_model=camera, colour_resolution="640x480", seed=0)
    one = Scene(faces=(FaceSpec(identity=1, distance_mm=800.0, position=(0.5, 0.45)),))
    five = Scene(faces=tuple(FaceSpec(identity=i + 1, distance_mm=d, position=p)
                             for i, (p, d) in enumerate(FIVE_FACES)))
    return {1: renderer.render(one, 0), 5: renderer.render(five, 0)}


def time_calls(call, runs: int, warmup: int = 3) -> dict[str, float]:
    for _ in range(warmup):
        call()
    wall_ms, cpu_ms, thread_ms = [], [], []
    for _ in range(runs):
        w0, c0, t0 = time.perf_counter(), time.process_time(), time.thread_time()
        call()
        wall_ms.append((time.perf_counter() - w0) * 1e3)
        cpu_ms.append((time.process_time() - c0) * 1e3)
        thread_ms.append((time.thread_time() - t0) * 1e3)
    return {
        "wall_median_ms": statistics.median(wall_ms),
        "wall_p90_ms": float(np.percentile(wall_ms, 90)),
        "wall_min_ms": min(wall_ms),
        "cpu_median_ms": statistics.median(cpu_ms),
        "thread_cpu_median_ms": statistics.median(thread_ms),
        "runs": runs,
    }


def run(camera: str, runs: int, threads: int = 0) -> list[dict]:
    frames = bench_frames(camera)
    rows = []
    if threads:
        cv2.setNumThreads(threads)
    for name in detector_names():
        detector = create_detector(name, {"intra_op_threads": threads} if name == "mtcnn" else None)
        for n_faces, frameset in frames.items():
            found = len(detector.detect(frameset.colour_bgr))
            stats = time_calls(lambda: detector.detect(frameset.colour_bgr), runs)
            rows.append({"what": f"{name}.detect", "faces": n_faces, "found": found, **stats})
    default_width = DetectionConfig().modality.max_detection_width_px
    for name in detector_names():
        for width_px in (640, default_width):
            finder = FaceFinder(DetectionConfig(detector=name, modality={"max_detection_width_px": width_px}))
            for n_faces, frameset in frames.items():
                found = len(finder.find(frameset))
                stats = time_calls(lambda: finder.find(frameset), runs)
                label = f"FaceFinder.find ({name}@{width_px}{', default' if width_px == default_width else ''})"
                rows.append({"what": label, "faces": n_faces, "found": found, **stats})
    return rows


def environment() -> dict[str, str]:
    return {
        "host": platform.node(), "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(), "opencv": cv2.__version__,
        "onnxruntime": onnxruntime.__version__, "numpy": np.__version__,
        "opencv_threads": str(cv2.getNumThreads()), "cpu_count": str(os.cpu_count()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60, help="timed calls per row (after 3 warm-up calls)")
    parser.add_argument("--camera", choices=("sr300", "dcam710"), default="sr300")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads for OpenCV and ONNX Runtime (0 = their defaults, one per core)")
    parser.add_argument("--json", help="also write the rows and environment to this file")
    args = parser.parse_args(argv)
    rows = run(args.camera, args.runs, args.threads)
    print(f"face detection, 640×480 {args.camera} simulator frames, {args.runs} runs per row, "
          f"threads {args.threads or 'default'}")
    print(f"{'what':42} {'faces':>5} {'found':>5} {'median ms':>10} {'p90 ms':>8} {'min ms':>7} {'cpu ms':>7} {'thread ms':>9}")
    for r in rows:
        print(f"{r['what']:42} {r['faces']:>5} {r['found']:>5} {r['wall_median_ms']:>10.2f} "
              f"{r['wall_p90_ms']:>8.2f} {r['wall_min_ms']:>7.2f} {r['cpu_median_ms']:>7.2f} {r['thread_cpu_median_ms']:>9.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"schema": "edge.detection.bench/1", "environment": environment(), "threads": args.threads,
                       "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
