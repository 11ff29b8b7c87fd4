"""Simulator scenes with known face boxes for the detection tests, and the scoring of detections
against them (a face is found when a detection overlaps its truth box with IoU ≥ 0.5)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scene import FaceSpec, Lighting, Presentation, Scene
from edge.detection.boxes import iou_matrix

CAMERAS = ("sr300", "dcam710")
MIN_IOU = 0.5


@functools.lru_cache(maxsize=None)
def renderer(camera: str) -> SimRenderer:
    return SimRenderer(camera_model=camera, colour_resolution="640x480", seed=11)


def truth_boxes_xyxy(frameset) -> np.ndarray:
    boxes = [(x, y, x + w, y + h) for x, y, w, h in (f.box_xywh_px for f in frameset.truth.faces)]
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


@dataclass
class Score:
    faces: int = 0
    found: int = 0
    false_boxes: int = 0
    frames: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.faces if self.faces else float("nan")

    def add(self, frameset, boxes_xyxy) -> None:
        truth = truth_boxes_xyxy(frameset)
        boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
        overlap = iou_matrix(truth, boxes)
        self.frames += 1
        self.faces += len(truth)
        self.found += int((overlap >= MIN_IOU).any(axis=1).sum()) if len(boxes) else 0
        self.false_boxes += int((~(overlap >= MIN_IOU).any(axis=0)).sum()) if len(truth) else len(boxes)


# The simulator builds each identity, presentation and room once and caches it (about a second
# each); scenes below draw from small pools so that a test renders mostly from its caches.
BACKGROUNDS = (0, 1, 2)


#: Half the sweep is live faces, the other half the four attacks in turn.
SWEEP_PRESENTATIONS = (
    Presentation.LIVE, Presentation.PRINT_COLOUR, Presentation.LIVE, Presentation.PRINT_BW,
    Presentation.LIVE, Presentation.SCREEN, Presentation.LIVE, Presentation.MASK_3D,
)


def distance_sweep_scenes(count: int, seed: int) -> list[Scene]:
    """One face per scene, distances evenly over 0.4–1.2 m, presentations in the order above
    (six live identities, two per attack), random position and pose (yaw up to ±30°, pitch and
    roll up to ±10°)."""
    rng = np.random.default_rng(seed)
    scenes = []
    for i, distance_mm in enumerate(np.linspace(400.0, 1200.0, count)):
        presentation = SWEEP_PRESENTATIONS[i % len(SWEEP_PRESENTATIONS)]
        if presentation is Presentation.LIVE:
            identity = seed * 100 + (i // 2) % 6
        else:
            identity = seed * 100 + 10 * (i % len(SWEEP_PRESENTATIONS)) + (i // len(SWEEP_PRESENTATIONS)) % 2
        face = FaceSpec(
            presentation=presentation,
            identity=identity,
            distance_mm=float(distance_mm),
            position=(float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.38, 0.52))),
            yaw_deg=float(rng.uniform(-30, 30)),
            pitch_deg=float(rng.uniform(-10, 10)),
            roll_deg=float(rng.uniform(-10, 10)),
        )
        scenes.append(Scene(faces=(face,), background_seed=BACKGROUNDS[i % len(BACKGROUNDS)]))
    return scenes


def empty_scenes(count: int, rooms: tuple[int, ...] = BACKGROUNDS + (3,)) -> list[Scene]:
    """Rooms without anyone in them, one room after the other (the renderer keeps four rooms);
    rendered at successive frame indices, so the sensor noise differs from frame to frame."""
    return [Scene(faces=(), background_seed=rooms[i * len(rooms) // count]) for i in range(count)]


def low_light_scenes(count: int, seed: int) -> list[Scene]:
    """Live faces at 0.5–1.2 m in a dark room (colour nearly black, IR lit by the illuminator)."""
    rng = np.random.default_rng(seed)
    return [
        Scene(
            faces=(FaceSpec(identity=seed * 100 + i % 2, distance_mm=float(d),
                            position=(float(rng.uniform(0.35, 0.65)), 0.45), yaw_deg=float(rng.uniform(-20, 20))),),
            lighting=Lighting.LOW,
            background_seed=BACKGROUNDS[i % len(BACKGROUNDS)],
        )
        for i, d in enumerate(np.linspace(500.0, 1200.0, count))
    ]


def walk_in_scenes(frames: int, start_x: float = -0.05, end_x: float = 0.5, identity: int = 3) -> list[Scene]:
    """A person walks in from the left edge towards the camera (1.2 → 0.6 m) and stops."""
    scenes = []
    for k in range(frames):
        t = min(k / (0.8 * frames), 1.0)
        face = FaceSpec(identity=identity, distance_mm=1200.0 - 600.0 * t,
                        position=(start_x + (end_x - start_x) * t, 0.45), yaw_deg=20.0 * (1 - t))
        scenes.append(Scene(faces=(face,), background_seed=BACKGROUNDS[0]))
    return scenes


def render(camera: str, scenes: list[Scene], first_index: int = 0) -> list:
    r = renderer(camera)
    return [r.render(scene, first_index + i) for i, scene in enumerate(scenes)]
