"""Height fields with textures: the one surface type every simulated object is made of.

A surface lives in its own plane (x right, y down, millimetres) and rises out of it towards
the camera: its depth map says how far behind the plane's front each point is. Heads, paper
(flat or bent), screens, masks and torsos are all such fields; the ray caster in
``raycast.py`` intersects camera rays with them. Maps are float32 with 1 or 4 channels, the
layouts ``cv2.remap`` samples fastest.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def smoothstep(edge0: float, edge1: float, value: np.ndarray) -> np.ndarray:
    """0 below edge0, 1 beyond edge1, smooth in between (edges may be reversed)."""
    t = np.clip((np.asarray(value, np.float32) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def gaussian(x: np.ndarray, y: np.ndarray, cx: float, cy: float, sx: float, sy: float,
             amplitude: float) -> np.ndarray:
    return amplitude * np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))


def noise_field(rng: np.random.Generator, shape: tuple[int, int], scale_px: float,
                stretch_y: float = 1.0) -> np.ndarray:
    """Smooth zero-mean, unit-deviation noise with features about ``scale_px`` across."""
    white = rng.standard_normal(shape).astype(np.float32)
    field = cv2.GaussianBlur(white, (0, 0), sigmaX=scale_px, sigmaY=scale_px * stretch_y)
    return field / max(float(field.std()), 1e-6)


@dataclass(frozen=True)
class TexturedHeightField:
    """A surface as texture maps over a regular grid in its plane."""

    #: Depth behind the front plane (mm); outside the surface a cliff beyond the deepest point.
    depth_map: np.ndarray
    #: 1 on the surface, 0 off it.
    coverage_map: np.ndarray
    #: Visible albedo B, G, R (0–1) and near-IR reflectance.
    appearance_map: np.ndarray
    #: Unit normal x, y, z in the surface frame (towards the viewer is −z), and emission (0–1:
    #: the share of the albedo that is emitted light, as on a screen).
    geometry_map: np.ndarray
    origin_xy_mm: tuple[float, float]
    texel_mm: float
    #: The deepest covered point; rays are marched from 0 to here.
    max_depth_mm: float
    #: x_min, x_max, y_min, y_max of the covered part, in mm.
    covered_extent_mm: tuple[float, float, float, float]

    @classmethod
    def build(cls, depth_mm: np.ndarray, coverage: np.ndarray, albedo_bgr: np.ndarray,
              nir_reflectance: np.ndarray, origin_xy_mm: tuple[float, float], texel_mm: float,
              emission: np.ndarray | None = None) -> TexturedHeightField:
        depth = np.asarray(depth_mm, np.float32)
        covered = np.asarray(coverage, np.float32) > 0.5
        max_depth = float(depth[covered].max()) if covered.any() else 0.0
        gy, gx = np.gradient(depth, texel_mm)
        normal = np.dstack([gx, gy, -np.ones_like(gx)]).astype(np.float32)
        normal /= np.linalg.norm(normal, axis=2, keepdims=True)
        glow = np.zeros(depth.shape, np.float32) if emission is None else np.asarray(emission, np.float32)
        rows = np.flatnonzero(covered.any(axis=1))
        cols = np.flatnonzero(covered.any(axis=0))
        x0, y0 = float(origin_xy_mm[0]), float(origin_xy_mm[1])
        extent = (x0 + (cols[0] - 1) * texel_mm, x0 + (cols[-1] + 1) * texel_mm,
                  y0 + (rows[0] - 1) * texel_mm, y0 + (rows[-1] + 1) * texel_mm) if covered.any() else (0, 0, 0, 0)
        return cls(
            depth_map=np.ascontiguousarray(np.where(covered, depth, max_depth + 50.0), np.float32),
            coverage_map=covered.astype(np.float32),
            appearance_map=np.ascontiguousarray(np.dstack([albedo_bgr, nir_reflectance]), np.float32),
            geometry_map=np.ascontiguousarray(np.dstack([normal, glow]), np.float32),
            origin_xy_mm=(x0, y0), texel_mm=float(texel_mm), max_depth_mm=max_depth,
            covered_extent_mm=tuple(float(v) for v in extent),
        )

    @property
    def cliff_mm(self) -> float:
        """The depth the map holds off the surface."""
        return self.max_depth_mm + 50.0

    def texel_coordinates(self, x_mm: np.ndarray, y_mm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """remap coordinates (float32) of local points."""
        inv = np.float32(1.0 / self.texel_mm)
        return ((np.asarray(x_mm, np.float32) - np.float32(self.origin_xy_mm[0])) * inv,
                (np.asarray(y_mm, np.float32) - np.float32(self.origin_xy_mm[1])) * inv)

    def depth_at(self, xy_mm: np.ndarray) -> np.ndarray:
        """Depth behind the front plane at local points (N×2 mm), bilinear."""
        xy = np.asarray(xy_mm, np.float32).reshape(-1, 1, 2)
        mx, my = self.texel_coordinates(xy[..., 0], xy[..., 1])
        sampled = cv2.remap(self.depth_map, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return sampled.ravel().astype(np.float64)
