"""Frames per second of the simulator on one core: ``python -m camera_plugins.sim.bench``.

Renders the demo scenario (colour 640×480 + depth + IR) per camera model, pinned to one CPU
with OpenCV single-threaded, over frames spread evenly across the whole one-minute timeline.
Reports the median over several runs of CPU-time fps (what one core sustains, insensitive to
other load on the machine) and wall-time fps. ``--detection`` also reports how often YuNet finds
the rendered faces per distance band.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import cv2
import numpy as np

from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scenarios import DEMO_LENGTH_S, demo_scene, demo_warm_up_scenes
from camera_plugins.sim.scene import FaceSpec, Presentation, Scene


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)


def measure_fps(camera: str, resolution: str, frames: int, runs: int, fps: float = 30.0
                ) -> tuple[float, float, float]:
    """(CPU-time fps, wall-time fps) as medians over ``runs`` passes over the demo, and the best
    run's CPU-time fps (the least disturbed by other work on a shared machine)."""
    renderer = SimRenderer(camera, resolution)
    for scene in demo_warm_up_scenes(fps):
        renderer.prepare(scene)
    total = round(DEMO_LENGTH_S * fps)
    indices = np.linspace(0, total - 1, frames).round().astype(int)
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        for k in indices:
            renderer.render(demo_scene(int(k), fps), int(k))
        cpu.append(frames / (time.process_time() - c0))
        wall.append(frames / (time.perf_counter() - w0))
    return statistics.median(cpu), statistics.median(wall), max(cpu)


def detection_rates(camera: str, per_cell: int = 6, seed: int = 7) -> dict[str, float]:
    """Share of normal-light frames in which YuNet finds the rendered face (IoU ≥ 0.4), per band."""
    from edge.detection.weights import YUNET, verified_path

    renderer = SimRenderer(camera)
    w, h = renderer.colour_intrinsics.width_px, renderer.colour_intrinsics.height_px
    detector = cv2.FaceDetectorYN.create(str(verified_path(YUNET)), "", (w, h), score_threshold=0.6)
    rng = np.random.default_rng(seed)
    rates = {}
    for lo, hi in ((400, 600), (600, 800), (800, 1000), (1000, 1200)):
        hits = []
        for presentation in Presentation:
            for _ in range(per_cell):
                spec = FaceSpec(presentation, int(rng.integers(0, 40)), float(rng.uniform(lo, hi)),
                                (float(rng.uniform(0.35, 0.65)), float(rng.uniform(0.38, 0.52))),
                                yaw_deg=float(rng.uniform(-30, 30)), pitch_deg=float(rng.uniform(-10, 10)),
                                roll_deg=float(rng.uniform(-10, 10)))
                fs = renderer.render(Scene((spec,), background_seed=int(rng.integers(0, 4))), len(hits))
                _, faces = detector.detect(fs.colour_bgr)
                truth = fs.truth.faces[0].box_xywh_px
                hits.append(faces is not None and any(_iou(truth, f[:4]) >= 0.4 for f in faces))
        rates[f"{lo / 1000:.1f}-{hi / 1000:.1f} m"] = float(np.mean(hits))
    return rates


def _iou(a, b) -> float:
    iw = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return iw * ih / (a[2] * a[3] + b[2] * b[3] - iw * ih)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120, help="frames per run, spread over the demo")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--resolution", default="640x480", choices=["640x480", "1920x1080"])
    parser.add_argument("--detection", action="store_true", help="also report YuNet detection rates")
    args = parser.parse_args(argv)
    pin_to_one_core()
    for camera in ("sr300", "dcam710"):
        cpu_fps, wall_fps, best_fps = measure_fps(camera, args.resolution, args.frames, args.runs)
        print(f"{camera}: colour {args.resolution} + depth + IR, demo scenario, one core: "
              f"{cpu_fps:.1f} fps (CPU time), {wall_fps:.1f} fps (wall), median of {args.runs} runs "
              f"x {args.frames} frames; best run {best_fps:.1f} fps (CPU time)")
    if args.detection:
        for camera in ("sr300", "dcam710"):
            rates = detection_rates(camera)
            print(f"{camera}: YuNet detection rate by distance: "
                  + ", ".join(f"{band} {rate:.0%}" for band, rate in rates.items()))


if __name__ == "__main__":
    main()
