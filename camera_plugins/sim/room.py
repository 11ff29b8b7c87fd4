"""The room behind the subjects: back wall at 2–3 m, floor, ceiling, a cabinet, a plant, a picture.

Static for a given background seed, so each stream's view of it (depth, colour, near-IR, surface
angle) is ray-cast once per camera and reused for every frame. Coordinates are the depth
camera's frame (x right, y down, z forward, millimetres); the camera hangs 1.6 m above the floor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from camera_plugins.sim.optics import RayTable
from camera_plugins.sim.texture import noise_field

CAMERA_HEIGHT_MM = 1600.0
CEILING_HEIGHT_MM = 2700.0


@dataclass(frozen=True)
class RoomView:
    """The room as one stream sees it (full frame)."""

    z_mm: np.ndarray
    #: Linear BGR under the room's light, before exposure.
    colour: np.ndarray
    nir_reflectance: np.ndarray
    #: Cosine between the surface normal and the ray back to the camera.
    cos_view: np.ndarray
    #: Range from the camera in metres (for the illuminator's 1/r² falloff).
    range_m: np.ndarray


def _box_hit(o, d, lo, hi):
    """Slab test of rays o + t·d against an axis-aligned box; t (inf where missed) and the hit axis."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (lo[:, None, None] - o[:, None, None]) / d
        t2 = (hi[:, None, None] - o[:, None, None]) / d
    t_near = np.minimum(t1, t2)
    t_far = np.maximum(t1, t2)
    entry = np.nanmax(t_near, axis=0)
    exit_ = np.nanmin(t_far, axis=0)
    hit = (entry <= exit_) & (entry > 0)
    return np.where(hit, entry, np.inf), np.nanargmax(t_near, axis=0)


def view_room(rays: RayTable, cam_rotation: np.ndarray, cam_translation_mm: np.ndarray, seed: int) -> RoomView:
    """Ray-cast the room of ``seed`` for one stream (pose X_cam = R·X_depth + t)."""
    rng = np.random.default_rng([0x2002, seed & 0xFFFFFFFF])
    h, w = rays.ray_x.shape
    o = -(cam_rotation.T @ cam_translation_mm)
    d = np.einsum("ji,jhw->ihw", cam_rotation, np.stack([rays.ray_x, rays.ray_y, np.ones_like(rays.ray_x)]))
    wall_z = rng.uniform(2200, 3000)
    wall_tilt = rng.uniform(-0.15, 0.15)  # the wall is not square to the camera
    # Planes n·X = c with normals facing the camera.
    planes = [
        (np.array([-wall_tilt, 0.0, -1.0]), -wall_z, rng.uniform(0.45, 0.85, 3), 0.7, "wall"),
        (np.array([0.0, -1.0, 0.0]), -CAMERA_HEIGHT_MM, rng.uniform(0.15, 0.4, 3), 0.4, "floor"),
        (np.array([0.0, 1.0, 0.0]), -(CEILING_HEIGHT_MM - CAMERA_HEIGHT_MM), np.array([0.85, 0.85, 0.85]), 0.8,
         "ceiling"),
    ]
    t_best = np.full((h, w), np.inf, np.float32)
    colour = np.zeros((h, w, 3), np.float32)
    nir = np.zeros((h, w), np.float32)
    normal = np.zeros((3, h, w), np.float32)
    for n, c, albedo, rho, _ in planes:
        c = c / np.linalg.norm(n)
        n = n / np.linalg.norm(n)
        denom = np.einsum("i,ihw->hw", n, d)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (c - n @ o) / denom
        t = np.where((denom < 0) & (t > 0), t, np.inf)
        closer = t < t_best
        t_best = np.where(closer, t, t_best)
        colour[closer] = albedo
        nir[closer] = rho
        normal[:, closer] = n[:, None]
    side = rng.choice([-1.0, 1.0])
    boxes = [  # cabinet, plant pot with foliage, door frame
        (np.array([side * rng.uniform(700, 1100) - 350, CAMERA_HEIGHT_MM - 1300, 1500.0]),
         np.array([side * rng.uniform(700, 1100) + 350, CAMERA_HEIGHT_MM, 1950.0]), rng.uniform(0.2, 0.6, 3), 0.55),
        (np.array([-side * 950.0 - 180, CAMERA_HEIGHT_MM - 1500, 1750.0]),
         np.array([-side * 950.0 + 180, CAMERA_HEIGHT_MM, 2100.0]), np.array([0.15, 0.45, 0.2]), 0.75),
    ]
    for lo, hi, albedo, rho in boxes:
        t, axis = _box_hit(o, d, lo, hi)
        closer = t < t_best
        t_best = np.where(closer, t, t_best)
        colour[closer] = albedo
        nir[closer] = rho
        n = np.zeros((3, h, w), np.float32)
        for a in range(3):
            n[a] = np.where(axis == a, -np.sign(d[a]), 0)
        normal[:, closer] = n[:, closer]
    # A framed picture on the wall and gentle texture everywhere.
    world = o[:, None, None] + d * t_best
    picture = (np.abs(world[0] - side * -300) < 350) & (np.abs(world[1] + 500) < 250) & (world[2] > wall_z - 400)
    colour[picture] = colour[picture] * 0.3 + rng.uniform(0.1, 0.9, 3) * 0.7
    colour *= (1.0 + 0.04 * noise_field(rng, (h, w), 3.0))[..., None]
    length = np.linalg.norm(d, axis=0)
    cos_view = np.clip(-np.einsum("ihw,ihw->hw", normal, d) / length, 0.0, 1.0)
    # The room's ceiling lights: brighter high up, with the Lambert term of a light above.
    light = 0.55 + 0.35 * np.clip(-normal[1], 0, 1) + 0.1 * cos_view
    return RoomView(t_best.astype(np.float32), (colour * light[..., None]).astype(np.float32),
                    nir, cos_view.astype(np.float32), (t_best * length / 1000.0).astype(np.float32))
