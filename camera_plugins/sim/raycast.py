"""Intersect a stream's camera rays with a placed height field (relief mapping, vectorised).

Within the surface's region of interest each ray is marched from the surface's front plane to
its deepest point in a few steps, sampling the height map with ``cv2.remap``; the first step
that lands behind the surface brackets the hit, and a few secant steps refine it. Smooth
surfaces skip the march (fixed-point steps converge on them), and large ones are cast on a
coarser grid and interpolated. The ray parameter is the z of the hit in the casting camera's
frame (rays have unit z), so it is the depth that camera would measure.
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


SKIN = Material("skin")
CLOTH = Material("cloth")
PAPER = Material("paper")
#: A monitor: its display emits the picture, and glass and bezel are glossy.
SCREEN = Material("screen", emissive=True, glossy=True)


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
    #: Cast on a grid this many times coarser and interpolate (large smooth surfaces only).
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


class _Rays:
    """The rays of one region of interest expressed in a surface's frame: o + t·d."""

    def __init__(self, surface: PlacedSurface, rays: RayTable, rot: np.ndarray, origin: np.ndarray,
                 rows: slice, cols: slice) -> None:
        field = surface.field
        self.field = field
        self.rows, self.cols = rows, cols
        self.rot32 = rot.astype(np.float32)
        o = -(rot.T @ origin)
        self.o = o.astype(np.float32)
        d = cv2.transform(rays.ray_xyz[rows, cols], self.rot32.T.copy())
        self.dx, self.dy, dz = d[..., 0], d[..., 1], d[..., 2]
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
        """First crossing into the relief, bracketed by depth steps, refined by secants
        (the returned mask says a crossing was found; coverage is checked by the caller).

        Step k puts every ray at depth k·step behind the front plane (a scalar: rays start on the
        plane and advance by equal depth), so a crossing test is one comparison per pixel."""
        span = self.field.max_depth_mm
        n_steps = max(1, math.ceil(span / step_mm))
        depth_step = np.float32(span / n_steps)
        t_step = depth_step / self.dz
        mx = self.mx_o + self.t_front * self.dx_t
        my = self.my_o + self.t_front * self.dy_t
        mx_step, my_step = t_step * self.dx_t, t_step * self.dy_t
        heights = np.empty((n_steps + 1,) + mx.shape, np.float32)
        first = np.full(mx.shape, n_steps + 1, np.int8)  # first step at or behind the surface
        crossing = np.empty(mx.shape, bool)
        for k in range(n_steps + 1):
            if k:
                mx += mx_step
                my += my_step
            cv2.remap(self.field.depth_map, mx, my, cv2.INTER_LINEAR, dst=heights[k],
                      borderMode=cv2.BORDER_CONSTANT, borderValue=self._cliff)
            np.less_equal(heights[k], depth_step * k, out=crossing)
            crossing &= first > n_steps
            np.copyto(first, k, where=crossing)
        found = first <= n_steps
        k_hi = np.minimum(first, n_steps).astype(np.intp)
        k_lo = np.maximum(k_hi - 1, 0)
        depth_hi = k_hi.astype(np.float32) * depth_step
        depth_lo = k_lo.astype(np.float32) * depth_step
        t_hi = self.t_front + depth_hi / self.dz
        t_lo = self.t_front + depth_lo / self.dz
        f_hi = depth_hi - np.take_along_axis(heights, k_hi[None], 0)[0]
        f_lo = depth_lo - np.take_along_axis(heights, k_lo[None], 0)[0]
        return self.secant(t_lo, f_lo, t_hi, f_hi, refine_steps), found

    def secant(self, t_lo: np.ndarray, f_lo: np.ndarray, t_hi: np.ndarray, f_hi: np.ndarray, steps: int
               ) -> np.ndarray:
        """Refine brackets [t_lo in front of, t_hi behind the surface] by secant steps."""
        t = t_hi
        tiny = np.float32(1e-6)
        for _ in range(steps):
            # f_lo < 0 ≤ f_hi on a bracket, so the denominator is positive; elsewhere t stays put.
            t = t_lo - f_lo * (t_hi - t_lo) / np.maximum(f_hi - f_lo, tiny)
            f = -self.gap(t, self.sample(t))
            behind = f >= 0
            np.copyto(t_hi, t, where=behind)
            np.copyto(f_hi, f, where=behind)
            np.copyto(t_lo, t, where=~behind)
            np.copyto(f_lo, f, where=~behind)
        return t

    def hit(self, t: np.ndarray, mask: np.ndarray) -> Hit:
        mask = mask & self.facing
        lx = self.o[0] + t * self.dx
        ly = self.o[1] + t * self.dy
        mx, my = self.field.texel_coordinates(lx, ly)
        appearance = cv2.remap(self.field.appearance_map, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        geometry = cv2.remap(self.field.geometry_map, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        # Rotate the normal (first three channels); the fourth, emission, is dropped by the 3×4 matrix.
        normal_cam = cv2.transform(geometry, np.hstack([self.rot32, np.zeros((3, 1), np.float32)]))
        return Hit(self.rows, self.cols, mask, t, appearance, geometry[..., 3], normal_cam)


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
        mask &= r.covered(t)
    if not (mask & r.facing).any():
        return None
    return r.hit(t, mask)


def upsample(hit: Hit, factor: int, shape: tuple[int, int]) -> Hit:
    """A hit cast on a ``factor``-times coarser ray grid, interpolated to the full grid (for large
    smooth surfaces such as torsos, whose edges may then be a coarse pixel off)."""
    rows = slice(hit.rows.start * factor, min(hit.rows.stop * factor, shape[0]))
    cols = slice(hit.cols.start * factor, min(hit.cols.stop * factor, shape[1]))
    n_rows, n_cols = rows.stop - rows.start, cols.stop - cols.start
    size = (hit.mask.shape[1] * factor, hit.mask.shape[0] * factor)

    def up(a: np.ndarray, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
        return cv2.resize(a, size, interpolation=interpolation)[:n_rows, :n_cols]

    # Interpolated values next to the silhouette mix in missed rays: keep only pixels whose
    # neighbours all hit.
    mask = cv2.erode(up(hit.mask.view(np.uint8), cv2.INTER_NEAREST), np.ones((3, 3), np.uint8)).view(bool)
    return Hit(rows, cols, mask, up(hit.z_mm),
               up(hit.appearance), up(hit.emission), up(hit.normal_cam))


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
