"""Face datasets from the simulator, made by the daemon's own code (issue 5, item 3b).

Each sample is one random scene (``camera_plugins.sim.scenarios.random_scene``: 0.4–1.2 m,
poses up to ±45° yaw, both lightings) rendered by ``SimRenderer`` and then put through exactly
the stages the daemon's pipeline worker runs (``edge.pipeline.stages``): registration →
``FaceFinder`` with the default ``DetectionConfig`` → ``prepare_face`` with ``PreprocessSpec()``.
So training inputs and serving inputs cannot diverge. A detection is labelled by the truth face
it overlaps (IoU ≥ ``MATCH_IOU``); undetected faces, unmatched detections and faces the daemon
would call not-enough-data are skipped and counted.

Splits: identities are drawn from a per-split pool (``IDENTITY_POOLS``: train, val, test and
heldout are disjoint), presentations can be limited to some attack types, and the camera model
and the seed are arguments. Samples come in groups of ``per_identity`` sharing one identity and
one room, because building a head or a room costs ~20 renders and the simulator caches them.

    python -m engines.data.simulated --camera-model sr300 --split train --samples 2000 --seed 1 out.npz
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engines.data.arrays import FaceArrays

#: Identity pools of the splits (half-open ranges): no person appears in two splits, and none
#: is one of the scripted demo's people (identities below ``DEMO_IDENTITIES_BELOW``), so the
#: daemon's end-to-end accuracy on the demo is measured on faces the model never saw.
DEMO_IDENTITIES_BELOW = 64
IDENTITY_POOLS: dict[str, tuple[int, int]] = {
    "train": (DEMO_IDENTITIES_BELOW, 5000), "val": (5000, 6000), "test": (6000, 7000), "heldout": (7000, 8000),
}
ATTACKS = ("print_colour", "print_bw", "screen", "mask_3d")
CAMERA_MODELS = ("sr300", "dcam710")
#: A detection is the truth face it overlaps at least this much (the simulator bench's figure).
MATCH_IOU = 0.4


@dataclass(frozen=True)
class SimDatasetConfig:
    camera_model: str = "sr300"
    samples: int = 1000
    seed: int = 0
    split: str = "train"
    #: Attack types drawn for attack samples (a subset of ``ATTACKS``).
    attacks: tuple[str, ...] = ATTACKS
    #: Share of live samples; the rest are attacks spread evenly over ``attacks``.
    live_share: float = 0.5
    per_identity: int = 8
    distance_mm: tuple[float, float] = (400.0, 1200.0)
    low_light_share: float = 0.3
    workers: int = 2

    def __post_init__(self) -> None:
        if self.camera_model not in CAMERA_MODELS:
            raise ValueError(f"camera_model={self.camera_model!r}: choose one of {CAMERA_MODELS}")
        if self.split not in IDENTITY_POOLS:
            raise ValueError(f"split={self.split!r}: choose one of {sorted(IDENTITY_POOLS)}")
        unknown = sorted(set(self.attacks) - set(ATTACKS))
        if unknown or not self.attacks:
            raise ValueError(f"attacks={list(self.attacks)!r}: give one or more of {ATTACKS}")
        if not 0 <= self.live_share <= 1:
            raise ValueError(f"live_share={self.live_share!r}: must be within [0, 1]")
        for key in ("samples", "per_identity", "workers"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key}={getattr(self, key)!r}: must be ≥ 1")
        if self.workers > 2:
            raise ValueError(f"workers={self.workers}: at most 2 (the machine has two cores)")

    @property
    def groups(self) -> int:
        return -(-self.samples // self.per_identity)


@dataclass
class GroupResult:
    """Faces of one identity group, and what was skipped."""

    degraded: list[np.ndarray] = field(default_factory=list)
    clear: list[np.ndarray] = field(default_factory=list)
    presentation: list[str] = field(default_factory=list)
    subject: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


class _Worker:
    """One process's renderer, detector and camera runtime (built once, reused for every group)."""

    def __init__(self, config: SimDatasetConfig) -> None:
        import cv2

        from camera_plugins.sim.render import SimRenderer
        from edge.detection.base import create_detector
        from edge.detection.config import DetectionConfig
        from edge.detection.finder import FaceFinder
        from edge.pipeline.stages import CameraRuntime
        from edge.processing.spec import PreprocessSpec

        cv2.setNumThreads(1)  # the pool is the parallelism; OpenCV's threads would only contend
        self.config = config
        self.renderer = SimRenderer(config.camera_model, seed=config.seed)
        self.detection = DetectionConfig()
        self.detector = create_detector(self.detection.detector, self.detection.validated_detector_options())
        self.new_finder = lambda: FaceFinder(self.detection, detector=self.detector)
        self.runtime = CameraRuntime("sim", config.camera_model, self.new_finder())
        self.spec = PreprocessSpec()

    def group(self, index: int) -> GroupResult:
        from camera_plugins.sim.scenarios import random_scene

        c = self.config
        rng = np.random.default_rng([c.seed, index, 0xDA7A])
        low, high = IDENTITY_POOLS[c.split]
        identity, room = int(rng.integers(low, high)), int(rng.integers(1 << 16))
        result = GroupResult()
        first = index * c.per_identity
        for k in range(first, min(first + c.per_identity, c.samples)):
            presentations = ("live",) if rng.random() < c.live_share else c.attacks
            scene = random_scene(rng, presentations, c.distance_mm, low_light_share=c.low_light_share)
            scene = dataclasses.replace(scene, background_seed=room,
                                        faces=tuple(dataclasses.replace(f, identity=identity) for f in scene.faces))
            self._sample(scene, k, result)
        return result

    def _sample(self, scene, frame_index: int, result: GroupResult) -> None:
        from edge.detection.boxes import iou_matrix
        from edge.pipeline.capture import CapturedFrame
        from edge.pipeline.stages import find_faces, prepare_inputs, start_plan

        frameset = self.renderer.render(scene, frame_index)
        truths = frameset.truth.faces
        result.counts["scenes"] += 1
        if not truths:
            result.counts["face_outside_image"] += 1
            return
        self.runtime.finder = self.new_finder()  # each sample is a new scene: no track carries over
        plan = start_plan(CapturedFrame(frameset, 0.0), self.runtime)
        find_faces(plan)
        prepare_inputs(plan, self.spec)
        truth_boxes = np.array([(x, y, x + w, y + h) for x, y, w, h in (t.box_xywh_px for t in truths)])
        matched = set()
        for face in plan.faces:
            overlap = iou_matrix(np.array([face.tracked.box_xyxy_px]), truth_boxes)[0]
            best = int(np.argmax(overlap))
            if overlap[best] < MATCH_IOU or best in matched:
                result.counts["unmatched_detection"] += 1
                continue
            matched.add(best)
            if face.face_input is None:
                result.counts["not_enough_data"] += 1
                continue
            result.degraded.append(face.face_input.degraded)
            result.clear.append(face.face_input.target)
            result.presentation.append(truths[best].presentation)
            result.subject.append(f"sim-{truths[best].subject_id}")
            result.counts["faces"] += 1
        result.counts["undetected"] += len(truths) - len(matched)


_worker: _Worker | None = None


def _init_worker(config: SimDatasetConfig) -> None:
    global _worker
    _worker = _Worker(config)


def _run_group(index: int) -> GroupResult:
    return _worker.group(index)


def generate(config: SimDatasetConfig, progress: bool = False) -> tuple[FaceArrays, dict]:
    """The dataset and a summary (counts of what was kept and skipped, samples per second)."""
    started_wall, results = time.perf_counter(), []
    if config.workers == 1:
        _init_worker(config)
        results = [_run_group(i) for i in range(config.groups)]
    else:
        with multiprocessing.get_context("spawn").Pool(config.workers, _init_worker, (config,)) as pool:
            for done, result in enumerate(pool.imap(_run_group, range(config.groups)), 1):
                results.append(result)
                if progress and done % 10 == 0:
                    print(f"  {done}/{config.groups} identity groups", file=sys.stderr)
    elapsed_s = time.perf_counter() - started_wall
    counts = sum((r.counts for r in results), Counter())
    scale = np.float32(1 / 255)  # the daemon's normalisation (face_input.to_batch)
    join = lambda key: [v for r in results for v in getattr(r, key)]
    if not counts["faces"]:
        raise ValueError(f"no face of {config.samples} scenes was detected and usable ({dict(counts)})")
    data = FaceArrays.build(
        np.stack(join("degraded")).astype(np.float32) * scale, np.stack(join("clear")).astype(np.float32) * scale,
        [int(p == "live") for p in join("presentation")], join("presentation"),
        [config.camera_model] * counts["faces"], join("subject"),
    )
    summary = {"config": dataclasses.asdict(config), "counts": dict(counts), "elapsed_s": round(elapsed_s, 2),
               "scenes_per_s": round(config.samples / elapsed_s, 2),
               "presentations": dict(Counter(data.presentation.tolist()))}
    return data, summary


def save(data: FaceArrays, summary: dict, path: str | Path) -> Path:
    """The trainer's npz (``engines.data.arrays``) plus the preprocessing spec and the generator summary (JSON)."""
    from edge.processing.spec import PreprocessSpec

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial.npz")
    np.savez_compressed(partial, **{k: getattr(data, k) for k in ("inputs", "targets", "labels", "presentation",
                                                                  "camera_model", "subject")},
                        preprocess_spec=json.dumps(PreprocessSpec().to_dict(), sort_keys=True),
                        generator=json.dumps(summary, sort_keys=True))
    partial.replace(path)  # a reader never sees a half-written file
    return path


def build_cached(config: SimDatasetConfig, path: str | Path, progress: bool = False) -> FaceArrays:
    """Load ``path`` if it was generated with exactly ``config``, else generate and save it."""
    from engines.data.arrays import load_npz

    path = Path(path)
    if path.is_file():
        with np.load(path, allow_pickle=False) as stored:
            if "generator" in stored.files and json.loads(str(stored["generator"]))["config"] == \
                    json.loads(json.dumps(dataclasses.asdict(config))):
                return load_npz(path)
    data, summary = generate(config, progress)
    save(data, summary, path)
    print(f"{path}: {len(data)} faces, {summary['scenes_per_s']} scenes/s, skipped {summary['counts']}", file=sys.stderr)
    return data


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engines.data.simulated", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", help="the .npz file to write")
    defaults = SimDatasetConfig()
    p.add_argument("--camera-model", choices=CAMERA_MODELS, default=defaults.camera_model)
    p.add_argument("--split", choices=sorted(IDENTITY_POOLS), default=defaults.split)
    p.add_argument("--samples", type=int, default=defaults.samples, help="scenes to render (≈ faces kept)")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--attacks", nargs="+", default=list(ATTACKS), help=f"attack types, of {ATTACKS}")
    p.add_argument("--live-share", type=float, default=defaults.live_share)
    p.add_argument("--per-identity", type=int, default=defaults.per_identity)
    p.add_argument("--workers", type=int, default=defaults.workers)
    args = p.parse_args(argv)
    if Path(args.out).suffix != ".npz":
        print(f"simulated: output {args.out} must end in .npz", file=sys.stderr)
        return 2
    try:
        config = SimDatasetConfig(camera_model=args.camera_model, samples=args.samples, seed=args.seed,
                                  split=args.split, attacks=tuple(args.attacks), live_share=args.live_share,
                                  per_identity=args.per_identity, workers=args.workers)
        data, summary = generate(config, progress=True)
    except ValueError as error:
        print(f"simulated: {error}", file=sys.stderr)
        return 2
    save(data, summary, args.out)
    print(json.dumps({"out": args.out, "faces": len(data), **{k: summary[k] for k in ("counts", "scenes_per_s",
                                                                                       "presentations")}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
