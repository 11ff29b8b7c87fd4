"""Side-by-side comparisons in one run, interleaved A/B/A/B so that both see the same load.

Each *pair* times ``repeats`` calls of A, then ``repeats`` calls of B (the order alternates from
pair to pair, so neither always runs second on warm caches); the pair's ratio is
median(A) / median(B). The report gives the median of A and of B over all calls, in wall time
and in CPU time of the calling thread (the steadier figure on a shared machine), and the
median, minimum and maximum of the per-pair ratios.

Comparisons offered (``COMPARISONS``): our depth registration vs ``rs.align``; our hole
filling vs ``rs.hole_filling_filter``; YuNet vs MTCNN; and two engines (model + backend).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.bench.stats import summarise
from edge.frames import FrameSet

Call = Callable[[], object]


@dataclass(frozen=True)
class Pairing:
    name: str
    a_name: str
    b_name: str
    a: Call
    b: Call
    note: str = ""


def _time_calls(fn: Call, repeats: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        fn()
        cpu.append((time.thread_time_ns() - c0) / 1e6)
        wall.append((time.perf_counter_ns() - w0) / 1e6)
    return wall, cpu


def interleave(pairing: Pairing, pairs: int = 10, repeats: int = 20) -> dict:
    """Time A and B in ``pairs`` alternating pairs of ``repeats`` calls each."""
    if pairs < 1 or repeats < 1:
        raise ValueError(f"pairs={pairs}, repeats={repeats}: both must be at least 1")
    pairing.a(), pairing.b()  # warm-up: compilation, allocations (excluded)
    samples = {side: {"wall": [], "cpu": []} for side in ("a", "b")}
    ratios: dict[str, list[float]] = {"wall": [], "cpu": []}
    for k in range(pairs):
        order = (("a", pairing.a), ("b", pairing.b)) if k % 2 == 0 else (("b", pairing.b), ("a", pairing.a))
        pair = {}
        for side, fn in order:
            wall, cpu = _time_calls(fn, repeats)
            samples[side]["wall"] += wall
            samples[side]["cpu"] += cpu
            pair[side] = (statistics.median(wall), statistics.median(cpu))
        for i, clock in enumerate(("wall", "cpu")):
            ratios[clock].append(pair["a"][i] / pair["b"][i] if pair["b"][i] > 0 else float("inf"))
    result = {"name": pairing.name, "a": pairing.a_name, "b": pairing.b_name, "note": pairing.note,
              "pairs": pairs, "repeats_per_pair": repeats}
    for side in ("a", "b"):
        for clock in ("wall", "cpu"):
            label = pairing.a_name if side == "a" else pairing.b_name
            result[f"{side}_{clock}"] = summarise(samples[side][clock], f"{pairing.name}: {label} ({clock})",
                                                  max_cov=0.10).to_dict()
    for clock in ("wall", "cpu"):
        values = ratios[clock]
        result[f"ratio_{clock}"] = {"median": statistics.median(values), "min": min(values),
                                    "max": max(values), "per_pair": [round(v, 4) for v in values]}
    return result


def face_box(frameset: FrameSet) -> tuple[float, float, float, float]:
    if not frameset.truth or not frameset.truth.faces:
        raise ValueError("comparisons need a frame with a face (simulated frames carry its box)")
    x, y, w, h = frameset.truth.faces[0].box_xywh_px
    return (x, y, x + w, y + h)


@contextmanager
def librealsense_pairings(frameset: FrameSet) -> Iterator[list[Pairing]]:
    """Registration and hole filling, ours against librealsense's, on the very same frame
    (played through librealsense's software device → recording → playback)."""
    import pyrealsense2 as rs

    from edge.processing import rs_reference
    from edge.processing.depth import DepthRange, fill_and_quantise
    from edge.processing.registration import DepthRegistration

    registration = DepthRegistration.from_frameset(frameset)
    depth_mm = frameset.depth_mm()
    mean_mm = float(depth_mm[frameset.depth_raw > 0].mean())
    depth_range = DepthRange(mean_mm - 50, mean_mm, mean_mm + 50)
    x1, y1, x2, y2 = face_box(frameset)
    align, hole_filling = rs.align(rs.stream.color), rs.hole_filling_filter()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        path = rs_reference.record([frameset, frameset], workdir / "compare.bag")
        frames = next(stack.enter_context(rs_reference.playback(path)))
        depth_frame = frames.get_depth_frame()
        face_depth_mm = registration.region(frameset.depth_raw, frameset.depth_scale_mm, (x1, y1, x2, y2)).depth_mm
        yield [
            Pairing("registration (full frame)", "ours: DepthRegistration.full (depth+IR)", "rs.align(colour)",
                    lambda: registration.full(frameset.depth_raw, frameset.depth_scale_mm, frameset.ir),
                    lambda: align.process(frames), "both map the whole depth frame into colour geometry"),
            Pairing("registration (face region, as the pipeline runs it)",
                    "ours: DepthRegistration.region of the face box", "rs.align(colour) full frame",
                    lambda: registration.region(frameset.depth_raw, frameset.depth_scale_mm, (x1, y1, x2, y2), frameset.ir),
                    lambda: align.process(frames), "the pipeline registers only each face's region"),
            Pairing("hole filling (full frame)", "ours: fill_and_quantise (paper III-E)", "rs.hole_filling_filter",
                    lambda: fill_and_quantise(depth_mm, depth_range), lambda: hole_filling.process(depth_frame),
                    "ours also quantises to 8 bits; librealsense's fills from neighbours only"),
            Pairing("hole filling (face box, as the pipeline runs it)", "ours: fill_and_quantise of the face box",
                    "rs.hole_filling_filter full frame",
                    lambda: fill_and_quantise(face_depth_mm, depth_range), lambda: hole_filling.process(depth_frame)),
        ]


def detector_pairing(frameset: FrameSet) -> Pairing:
    from edge.detection.base import create_detector

    yunet, mtcnn = create_detector("yunet"), create_detector("mtcnn")
    image = frameset.colour_bgr
    faces = len(frameset.truth.faces) if frameset.truth else 0
    return Pairing("face detection", "YuNet", "MTCNN", lambda: yunet.detect(image), lambda: mtcnn.detect(image),
                   f"one {image.shape[1]}×{image.shape[0]} colour frame with {faces} face(s)")


def engine_pairing(engine_a, engine_b, batch: int) -> Pairing:
    """Two loaded engines (``engines.runtime`` Engine) on the same batch of faces."""
    info_a, info_b = engine_a.info(), engine_b.info()
    faces = np.random.default_rng(0).normal(0, 1, (batch, *info_a.input_chw)).astype(np.float32)
    return Pairing(f"engines (batch {batch})", _engine_name(info_a), _engine_name(info_b),
                   lambda: engine_a.infer(faces), lambda: engine_b.infer(faces))


def _engine_name(info) -> str:
    return f"{info.backend} {Path(info.artefact_path).name} ({info.artefact_sha256[:12]})"
