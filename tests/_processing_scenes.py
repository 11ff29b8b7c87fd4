"""Synthetic FrameSets for the processing tests: a sphere ("head") in front of a wall.

Depth is ray-cast in the depth sensor's geometry through its lens model, and the true
depth-sensor z of the surface each *colour* pixel sees is ray-cast from the colour camera,
so a registration can be checked against geometry rather than against itself. The ray
casting here is independent of the registration code (it only shares the lens functions,
which are checked against librealsense and OpenCV in test_processing_geometry).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.frames import DistortionModel, Extrinsics, FrameSet, Intrinsics, Timestamps
from edge.processing.geometry import pixel_rays

SR300_DEPTH = Intrinsics(
    640, 480, 474.9, 475.3, 311.6, 245.2, DistortionModel.INVERSE_BROWN_CONRADY,
    (0.139, 0.152, 0.0036, 0.0043, 0.0998),
)
COLOUR_640 = Intrinsics(640, 480, 617.2, 617.6, 318.4, 242.1)
COLOUR_1080 = Intrinsics(1920, 1080, 1388.6, 1389.4, 955.3, 543.2)


def rotation_xyz(deg: tuple[float, float, float]) -> tuple[float, ...]:
    ax, ay, az = np.radians(deg)
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return tuple((rz @ ry @ rx).ravel())


SR300_EXTRINSICS = Extrinsics(rotation_xyz((0.3, -0.4, 0.2)), (25.7, 0.3, 3.9))


@dataclass(frozen=True)
class SphereScene:
    """A sphere of radius_mm centred at centre_mm (depth frame) before a wall at wall_mm."""

    centre_mm: tuple[float, float, float] = (20.0, -10.0, 600.0)
    radius_mm: float = 90.0
    wall_mm: float = 1500.0


def _cast(origin, directions, scene: SphereScene) -> np.ndarray:
    """Ray parameter of the first hit (sphere or wall) for rays origin + s·direction."""
    c = np.asarray(scene.centre_mm) - origin
    b = directions @ c
    dd = np.einsum("...i,...i->...", directions, directions)
    disc = b * b - dd * (c @ c - scene.radius_mm**2)
    s_sphere = np.where(disc > 0, (b - np.sqrt(np.maximum(disc, 0))) / dd, np.inf)
    s_wall = (scene.wall_mm - origin[2]) / directions[..., 2]
    return np.minimum(s_sphere, s_wall)


def render_depth_mm(depth_intr: Intrinsics, scene: SphereScene) -> np.ndarray:
    rays = pixel_rays(depth_intr)
    directions = np.concatenate([rays, np.ones(rays.shape[:2] + (1,))], axis=2)
    return _cast(np.zeros(3), directions, scene)  # z component of a (x, y, 1) ray is s


def true_depth_in_colour_mm(
    depth_intr: Intrinsics, colour_intr: Intrinsics, depth_to_colour: Extrinsics, scene: SphereScene
) -> np.ndarray:
    """Depth-sensor z of the surface each colour pixel sees (rs.align's convention)."""
    rotation = depth_to_colour.rotation_matrix()
    origin = -rotation.T @ depth_to_colour.translation_vector_mm()
    rays = pixel_rays(colour_intr)
    directions = np.concatenate([rays, np.ones(rays.shape[:2] + (1,))], axis=2) @ rotation
    s = _cast(origin, directions, scene)
    return (origin[2] + s * directions[..., 2]).astype(np.float32)


def make_frameset(
    scene: SphereScene = SphereScene(),
    colour_intr: Intrinsics = COLOUR_640,
    depth_intr: Intrinsics = SR300_DEPTH,
    depth_to_colour: Extrinsics = SR300_EXTRINSICS,
    depth_scale_mm: float = 0.125,
    holes_fraction: float = 0.0,
    seed: int = 0,
) -> FrameSet:
    """A FrameSet of the scene; IR encodes the depth pixel index so its mapping can be traced."""
    rng = np.random.default_rng(seed)
    depth_mm = render_depth_mm(depth_intr, scene)
    raw = np.round(depth_mm / depth_scale_mm).astype(np.uint16)
    if holes_fraction:
        raw[rng.random(raw.shape) < holes_fraction] = 0
    h, w = depth_intr.shape
    ir = ((np.arange(h)[:, None] * 7 + np.arange(w)[None, :] * 3) % 251 + 1).astype(np.uint8)
    colour = rng.integers(0, 256, colour_intr.shape + (3,), dtype=np.uint8)
    return FrameSet(
        camera_id="synthetic",
        frame_index=0,
        timestamps=Timestamps(0.0, "simulated", 0, 0),
        colour_bgr=colour,
        depth_raw=raw,
        depth_scale_mm=depth_scale_mm,
        ir=ir,
        ir_full_scale=255,
        colour_intrinsics=colour_intr,
        depth_intrinsics=depth_intr,
        depth_to_colour=depth_to_colour,
    )
