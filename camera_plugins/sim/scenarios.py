"""Scenes over time: the scripted demo the README runs, and random scenes for datasets.

The demo follows the paper's acquisition (section III-D) as a one-minute story: an empty room;
a person walks in and stays, swinging the head; the four attacks are presented one after the
other (colour print, black-and-white print, screen, 3D mask), each after the room was empty for
``DEMO_STEP_IN_S`` (the attacker steps in: no face turns into another in place, so a tracker
ends one track before the next begins); two people at once; the lights go low. It loops. Everything is a pure function of time, so frame k is always the same.
"""

from __future__ import annotations

import math

import numpy as np

from camera_plugins.sim.scene import FaceSpec, Lighting, Presentation, Scene

#: (start s, name) of each part of the demo; it lasts DEMO_LENGTH_S and loops.
DEMO_TIMELINE: tuple[tuple[float, str], ...] = (
    (0.0, "empty"),
    (3.0, "walk_in"),
    (8.0, "live"),
    (18.0, "print_colour"),
    (25.0, "print_bw"),
    (31.0, "screen"),
    (38.0, "mask_3d"),
    (45.0, "two_faces"),
    (52.0, "low_light"),
)
DEMO_LENGTH_S = 60.0
DEMO_SUBJECT = 11
DEMO_ATTACKED = 23
DEMO_SECOND = 37
#: Seconds of empty room at the start of each attack part.
DEMO_STEP_IN_S = 1.5


def demo_part(t_s: float) -> tuple[str, float]:
    """The part of the demo at time t (seconds into the loop) and the seconds spent in it."""
    t = t_s % DEMO_LENGTH_S
    name, start = DEMO_TIMELINE[0][1], 0.0
    for begin, part in DEMO_TIMELINE:
        if t >= begin:
            name, start = part, begin
    return name, t - start


def _sway(t: float, yaw_amp: float, pitch_amp: float, roll_amp: float) -> dict[str, float]:
    """Natural head motion: slow swings on incommensurate periods."""
    return {
        "yaw_deg": yaw_amp * math.sin(2 * math.pi * t / 6.1),
        "pitch_deg": pitch_amp * math.sin(2 * math.pi * t / 4.3 + 0.7),
        "roll_deg": roll_amp * math.sin(2 * math.pi * t / 7.7 + 1.9),
    }


def demo_scene(frame_index: int, fps: float = 30.0) -> Scene:
    """The scripted demo at frame ``frame_index`` of a camera running at ``fps``."""
    loop_frames = max(1, round(DEMO_LENGTH_S * fps))
    loop_t = (frame_index % loop_frames) / fps  # exactly periodic in frames
    part, dt = demo_part(loop_t)
    if part == "empty":
        return Scene()
    if part == "walk_in":
        progress = min(dt / 5.0, 1.0)
        eased = 0.5 - 0.5 * math.cos(math.pi * progress)
        face = FaceSpec(Presentation.LIVE, DEMO_SUBJECT, 1150.0 - 450.0 * eased, (0.95 - 0.45 * eased, 0.45),
                        yaw_deg=-25.0 * (1 - eased))
        return Scene((face,))
    if part in ("live", "low_light"):
        distance = 700.0 - 200.0 * math.sin(2 * math.pi * dt / 10.0) ** 2
        face = FaceSpec(Presentation.LIVE, DEMO_SUBJECT, distance, (0.5, 0.45), **_sway(loop_t, 28, 10, 8))
        return Scene((face,), Lighting.LOW if part == "low_light" else Lighting.NORMAL)
    if part in ("print_colour", "print_bw", "screen", "mask_3d"):
        if dt < DEMO_STEP_IN_S:
            return Scene()
        distance = 650.0 + 150.0 * math.sin(2 * math.pi * dt / 7.0)
        wobble = _sway(loop_t, 15, 8, 6)
        bend = 18.0 if part == "print_colour" else 0.0
        face = FaceSpec(Presentation(part), DEMO_ATTACKED, distance, (0.5 + 0.05 * math.sin(dt), 0.45),
                        bend_mm=bend, **wobble)
        return Scene((face,))
    # two_faces
    return Scene((
        FaceSpec(Presentation.LIVE, DEMO_SUBJECT, 800.0, (0.33, 0.45), **_sway(loop_t, 20, 6, 5)),
        FaceSpec(Presentation.LIVE, DEMO_SECOND, 950.0, (0.7, 0.42), **_sway(loop_t + 2.0, 20, 6, 5)),
    ))


def demo_warm_up_scenes(fps: float = 30.0) -> list[Scene]:
    """One scene from each part of the demo: rendering them builds every identity and prop it uses."""
    return [demo_scene(round((start + DEMO_STEP_IN_S + 0.5) * fps), fps) for start, _ in DEMO_TIMELINE]


def random_scene(rng: np.random.Generator, presentations: tuple[str, ...] | None = None,
                 distance_mm: tuple[float, float] = (400.0, 1200.0), max_yaw_deg: float = 45.0,
                 max_pitch_deg: float = 30.0, max_roll_deg: float = 30.0, low_light_share: float = 0.3,
                 identities: int = 10_000, rooms: int = 8) -> Scene:
    """One random single-face scene for datasets (paper's range: 0.4–1.2 m, swings up to 45°).

    Rooms are drawn from a small set (``rooms``) because each new room is ray-cast once per
    renderer (~0.3 s) while identities are cheap enough to vary freely."""
    kinds = tuple(Presentation.parse(p) for p in (presentations or [p.value for p in Presentation]))
    presentation = kinds[int(rng.integers(len(kinds)))]
    bend = float(rng.uniform(0, 35)) if presentation in (Presentation.PRINT_COLOUR, Presentation.PRINT_BW) \
        and rng.random() < 0.5 else 0.0
    face = FaceSpec(
        presentation=presentation,
        identity=int(rng.integers(identities)),
        distance_mm=float(rng.uniform(*distance_mm)),
        position=(float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.35, 0.55))),
        yaw_deg=float(rng.uniform(-max_yaw_deg, max_yaw_deg)),
        pitch_deg=float(rng.uniform(-max_pitch_deg, max_pitch_deg)),
        roll_deg=float(rng.uniform(-max_roll_deg, max_roll_deg)),
        bend_mm=bend,
    )
    lighting = Lighting.LOW if rng.random() < low_light_share else Lighting.NORMAL
    return Scene((face,), lighting, background_seed=int(rng.integers(rooms)))
