"""Intersect a stream's camera rays with a placed height field (relief mapping, vectorised).

Within the surface's region of interest each ray is marched from the surface's front plane to
its deepest point in a few steps, sampling the height map with ``cv2.remap``; the first step
that lands behind the surface brackets the hit, and a few secant steps refine it. Smooth
surfaces skip the march (fixed-point steps converge on them), and large ones are cast on a
coarser grid first and refined per pixel. The ray
parameter is the z of the hit in the casting camera's frame (rays have unit z), so it is the
depth that camera would measure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from camera_plugins.sim.optics import RayTable
from camera_plugins.sim.texture import TexturedHeightField


@dataclass(frozen=True)
class Material:
    """How a surface interacts with light beyond its textures."""

    name: str
    #: Shows its albedo as emitted light (a screen's picture), independent of room light.
    emissive: bool = False
    #: Mirror-like: coded light loses its pattern; the illuminator leaves a glint.
    glossy: bool = False
    #: Paper carries toner that only its black component makes visible in near-IR.
    code: int = 0


SKIN = Material("skin", code=1)
CLOTH = Material("cloth", code=2)
PAPER = Material("paper", code=3)
SCREEN = Material("screen", emissive=True, glossy=True, code=4)
BEZEL = Material("bezel", glossy=True, code=5)
ROOM = Material("room", code=6)


@dataclass(frozen=True)
class PlacedSurface:
    """A height field placed in the depth camera's frame: X = rotation · x_local + origin_mm."""

    field: TexturedHeightField
    rotation: np.ndarray
    origin_mm: np.ndarray
    material: Material
    #: March step along depth (the finest relief it must not step over); 0 for smooth surfaces,
    #: which need no march: fixed-point steps from the front plane converge on them.
    step_mm: float = 0.0
    #: Find hits on a grid this many times coarser first, then refine per pixel.
    subsample: int = 1


@dataclass
class Hit:
    """Where rays of one region of interest met a surface."""

    rows: slice
    cols: slice
    mask: np.ndarray
    #: Z of the hit in the casting camera's frame (mm).
    z_mm: np.ndarray
    #: Sampled albedo B, G, R and near-IR reflectance.
    appearance: np.ndarray
    #: Sampled emission share (0–1).
    emission: np.ndarray
    #: Unit normal in the casting camera's frame (h × w × 3).
    normal_cam: np.ndarray
    #: Hit points in the surface's local frame (x, y, mm), for sub-regions such as a bezel.
    local_x_mm: np.ndarray
    local_y_mm: np.ndarray


class _Rays:
    """The rays of one region of interest expressed in a surface's frame: o + t·d."""

    def __init__(self, surface: PlacedSurface, rays: RayTable, rot: np.ndarray, origin: np.ndarray,
                 rows: slice, cols: slice) -> None:
        field = surface.field
        self.field = field
        self.rows, self.cols = rows, cols
        rx = rays.ray_x[rows, cols]
        ry = rays.ray_y[rows, cols]
        self.rot32 = rot.astype(np.float32)
        r = self.rot32
        o = -(rot.T @ origin)
        self.o = o.astype(np.float32)
        self.dx = r[0, 0] * rx + r[1, 0] * ry + r[2, 0]
        self.dy = r[0, 1] * rx + r[1, 1] * ry + r[2, 1]
        dz = r[0, 2] * rx + r[1, 2] * ry + r[2, 2]
        self.facing = dz > 0.05
        self.dz = np.where(self.facing, dz, np.float32(1.0))
        inv_texel = np.float32(1.0 / field.texel_mm)
        self.mx_o = np.float32((o[0] - field.origin_xy_mm[0]) * inv_texel)
        self.my_o = np.float32((o[1] - field.origin_xy_mm[1]) * inv_texel)
        self.dx_t, self.dy_t = self.dx * inv_texel, self.dy * inv_texel
        self.t_front = -self.o[2] / self.dz
        self._cliff = field.cliff_mm

    def sample(self, t: np.ndarray) -> np.ndarray:
        """Surface depth where the rays are at parameter t."""
        return cv2.remap(self.field.depth_map, self.mx_o + t * self.dx_t, self.my_o + t * self.dy_t,
                         cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=self._cliff)

    def covered(self, t: np.ndarray) -> np.ndarray:
        return cv2.remap(self.field.coverage_map, self.mx_o + t * self.dx_t, self.my_o + t * self.dy_t,
                         cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0) > 0.5

    def gap(self, t: np.ndarray, surface_depth: np.ndarray) -> np.ndarray:
        """How far the surface lies beyond the ray point (≤ 0 once the ray is inside)."""
        return surface_depth - (self.o[2] + t * self.dz)

    def fixed_point(self, t: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """Move along the ray by the remaining depth gap; converges on smooth relief."""
        for _ in range(steps):
            t = t + self.gap(t, self.sample(t)) / self.dz
        return t, self.covered(t)

    def march(self, step_mm: float, refine_steps: int) -> tuple[np.ndarray, np.ndarray]:
        """First crossing into the relief, bracketed by depth steps, refined by secants."""
        span = self.field.max_depth_mm
        n_steps = max(1, math.ceil(span / step_mm))
        t_step = np.float32(span / n_steps) / self.dz
        t_prev = self.t_front
        f_prev = -self.gap(t_prev, self.sample(t_prev))
        found = f_prev >= 0
        t_lo, f_lo, t_hi, f_hi = t_prev.copy(), f_prev.copy(), t_prev.copy(), f_prev.copy()
        for k in range(1, n_steps + 1):
            t_k = self.t_front + np.float32(k) * t_step
            f_k = -self.gap(t_k, self.sample(t_k))
            crossing = f_k >= 0
            crossing &= ~found
            np.copyto(t_lo, t_prev, where=crossing)
            np.copyto(f_lo, f_prev, where=crossing)
            np.copyto(t_hi, t_k, where=crossing)
            np.copyto(f_hi, f_k, where=crossing)
            found |= crossing
            t_prev, f_prev = t_k, f_k
        t = t_hi
        for _ in range(refine_steps):
            denominator = f_hi - f_lo
            safe = np.abs(denominator) > 1e-6
            t_mid = np.where(safe, t_lo - f_lo * (t_hi - t_lo) / np.where(safe, denominator, 1.0), t_hi)
            f_mid = -self.gap(t_mid, self.sample(t_mid))
            behind = f_mid >= 0
            np.copyto(t_hi, t_mid, where=behind)
            np.copyto(f_hi, f_mid, where=behind)
            np.copyto(t_lo, t_mid, where=~behind)
            np.copyto(f_lo, f_mid, where=~behind)
            t = t_mid
        return t, found & self.covered(t)

    def hit(self, t: np.ndarray, mask: np.ndarray) -> Hit:
        mask = mask & self.facing
        lx = self.o[0] + t * self.dx
        ly = self.o[1] + t * self.dy
        mx, my = self.field.texel_coordinates(lx, ly)
        appearance = cv2.remap(self.field.appearance_map, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        geometry = cv2.remap(self.field.geometry_map, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        normal_cam = cv2.transform(np.ascontiguousarray(geometry[..., :3]), self.rot32)
        return Hit(self.rows, self.cols, mask, t, appearance, geometry[..., 3], normal_cam, lx, ly)


def _pose_in(surface: PlacedSurface, cam_rotation: np.ndarray, cam_translation_mm: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    return cam_rotation @ surface.rotation, cam_rotation @ surface.origin_mm + cam_translation_mm


def cast(surface: PlacedSurface, rays: RayTable, cam_rotation: np.ndarray, cam_translation_mm: np.ndarray,
         refine_steps: int = 2) -> Hit | None:
    """Intersect the rays of one camera (pose: X_cam = R·X_depth + t) with ``surface``."""
    rot, origin = _pose_in(surface, cam_rotation, cam_translation_mm)
    roi = _region_of_interest(surface.field, rot, origin, rays)
    if roi is None:
        return None
    r = _Rays(surface, rays, rot, origin, *roi)
    if surface.field.max_depth_mm < 0.5:
        t = r.t_front
        mask = r.covered(t)
    elif surface.step_mm <= 0:
        t, mask = r.fixed_point(r.t_front, refine_steps + 1)
    else:
        t, mask = r.march(surface.step_mm, refine_steps)
    if not (mask & r.facing).any():
        return None
    return r.hit(t, mask)


def cast_coarse_to_fine(surface: PlacedSurface, rays: RayTable, coarse_rays: RayTable, factor: int,
                        cam_rotation: np.ndarray, cam_translation_mm: np.ndarray) -> Hit | None:
    """Find hits on a ``factor``-times coarser ray grid, then refine them on the full grid.

    The coarse hit depth, interpolated, starts two fixed-point steps per full-resolution ray:
    a quarter of the marching work at the cost of up to one coarse pixel at silhouettes."""
    coarse = cast(surface, coarse_rays, cam_rotation, cam_translation_mm)
    if coarse is None:
        return None
    h, w = rays.ray_x.shape
    rows = slice(coarse.rows.start * factor, min(coarse.rows.stop * factor, h))
    cols = slice(coarse.cols.start * factor, min(coarse.cols.stop * factor, w))
    size = (coarse.mask.shape[1] * factor, coarse.mask.shape[0] * factor)
    n_rows, n_cols = rows.stop - rows.start, cols.stop - cols.start
    # Misses carry the front plane's depth into the interpolation, which pulls neighbours forward
    # only by a fixed-point step's worth.
    t0 = cv2.resize(coarse.z_mm, size, interpolation=cv2.INTER_LINEAR)[:n_rows, :n_cols]
    mask0 = cv2.resize(coarse.mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)[:n_rows, :n_cols]
    rot, origin = _pose_in(surface, cam_rotation, cam_translation_mm)
    r = _Rays(surface, rays, rot, origin, rows, cols)
    t, covered = r.fixed_point(np.maximum(t0, r.t_front), 2)
    return r.hit(t, covered & mask0.astype(bool))


def _region_of_interest(field: TexturedHeightField, rot: np.ndarray, origin: np.ndarray, rays: RayTable
                        ) -> tuple[slice, slice] | None:
    x_lo, x_hi, y_lo, y_hi = field.covered_extent_mm
    corners = np.array([(x, y, z) for x in (x_lo, x_hi) for y in (y_lo, y_hi)
                        for z in (0.0, field.max_depth_mm)])
    cam = corners @ rot.T + origin
    if np.any(cam[:, 2] <= 1.0):
        return None
    ideal_x = cam[:, 0] / cam[:, 2]
    ideal_y = cam[:, 1] / cam[:, 2]
    return rays.region(ideal_x.min(), ideal_x.max(), ideal_y.min(), ideal_y.max())
