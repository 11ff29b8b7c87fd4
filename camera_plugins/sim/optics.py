"""Rays and projections through each stream's lens model.

Rendering needs, for every pixel, the direction of the ray it sees (its *ideal* normalised
coordinates x/z, y/z); truth needs the forward projection of 3D points to pixels. The models:

- ``NONE``: pinhole.
- ``BROWN_CONRADY`` / ``RATIONAL_8``: OpenCV's forward models (ideal → distorted), so a pixel's
  ray needs the iterative inverse (``cv2.undistortPoints`` with many iterations).
- ``INVERSE_BROWN_CONRADY`` (SR300 depth): the polynomial maps *distorted* → ideal, so a
  pixel's ray is the polynomial itself and projection needs the iterative inverse.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from edge.frames import DistortionModel, Intrinsics

_ITERATE = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-12)
_UNIT_K = np.eye(3)


def _apply_polynomial(xy: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """OpenCV's distortion polynomial applied to normalised points (N×2)."""
    pts = np.hstack([xy, np.ones((len(xy), 1))]).astype(np.float64)
    out, _ = cv2.projectPoints(pts, np.zeros(3), np.zeros(3), _UNIT_K, coeffs)
    return out.reshape(-1, 2)


def _invert_polynomial(xy: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Normalised points whose polynomial image is ``xy``."""
    out = cv2.undistortPoints(xy.reshape(-1, 1, 2).astype(np.float64), _UNIT_K, coeffs, criteria=_ITERATE)
    return out.reshape(-1, 2)


def pixels_to_rays(intrinsics: Intrinsics, pixels_uv: np.ndarray) -> np.ndarray:
    """Ideal normalised coordinates (x/z, y/z) seen by pixels (N×2 u, v)."""
    uv = np.asarray(pixels_uv, np.float64).reshape(-1, 2)
    normalised = np.column_stack([(uv[:, 0] - intrinsics.cx_px) / intrinsics.fx_px,
                                  (uv[:, 1] - intrinsics.cy_px) / intrinsics.fy_px])
    model = DistortionModel(intrinsics.model)
    coeffs = intrinsics.distortion_vector()
    if model is DistortionModel.NONE or not np.any(coeffs):
        return normalised
    if model is DistortionModel.INVERSE_BROWN_CONRADY:
        return _apply_polynomial(normalised, coeffs)
    return _invert_polynomial(normalised, coeffs)


def project(intrinsics: Intrinsics, points_mm: np.ndarray) -> np.ndarray:
    """Pixels (N×2) of 3D points (N×3) given in this stream's camera frame."""
    pts = np.asarray(points_mm, np.float64).reshape(-1, 3)
    ideal = pts[:, :2] / pts[:, 2:3]
    model = DistortionModel(intrinsics.model)
    coeffs = intrinsics.distortion_vector()
    if model is DistortionModel.NONE or not np.any(coeffs):
        normalised = ideal
    elif model is DistortionModel.INVERSE_BROWN_CONRADY:
        normalised = _invert_polynomial(ideal, coeffs)
    else:
        normalised = _apply_polynomial(ideal, coeffs)
    return np.column_stack([normalised[:, 0] * intrinsics.fx_px + intrinsics.cx_px,
                            normalised[:, 1] * intrinsics.fy_px + intrinsics.cy_px])


@dataclass(frozen=True)
class RayTable:
    """Per-pixel ray directions of one stream, with bounds to find a region of interest fast."""

    intrinsics: Intrinsics
    #: H×W ideal x/z and y/z (float32): the ray of pixel (v, u) is (x, y, 1) in camera frame.
    ray_x: np.ndarray
    ray_y: np.ndarray
    #: Per column the min/max ideal x over all rows; per row the min/max ideal y.
    column_x_min: np.ndarray
    column_x_max: np.ndarray
    row_y_min: np.ndarray
    row_y_max: np.ndarray
    #: Length of each ray per unit of z (to turn z into range for 1/r² falloff).
    ray_length: np.ndarray
    #: H×W×3 (x, y, 1) per pixel, for cv2.transform.
    ray_xyz: np.ndarray

    @classmethod
    @functools.lru_cache(maxsize=8)
    def of(cls, intrinsics: Intrinsics) -> RayTable:
        """The table of a stream (cached: every renderer of a camera model shares it)."""
        h, w = intrinsics.shape
        u, v = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
        rays = pixels_to_rays(intrinsics, np.column_stack([u.ravel(), v.ravel()]))
        return cls._from_rays(intrinsics, rays[:, 0].reshape(h, w), rays[:, 1].reshape(h, w))

    @classmethod
    def _from_rays(cls, intrinsics: Intrinsics, ray_x: np.ndarray, ray_y: np.ndarray) -> RayTable:
        rx = ray_x.astype(np.float32)
        ry = ray_y.astype(np.float32)
        return cls(intrinsics, rx, ry,
                   np.minimum.accumulate(rx.min(axis=0)[::-1])[::-1], np.maximum.accumulate(rx.max(axis=0)),
                   np.minimum.accumulate(ry.min(axis=1)[::-1])[::-1], np.maximum.accumulate(ry.max(axis=1)),
                   np.sqrt(rx * rx + ry * ry + 1.0).astype(np.float32),
                   np.ascontiguousarray(np.dstack([rx, ry, np.ones_like(rx)])))

    def coarse(self, factor: int) -> RayTable:
        """The rays through the centres of factor×factor pixel blocks (for cheap smooth surfaces)."""
        h, w = self.intrinsics.shape
        offset = (factor - 1) / 2.0
        u, v = np.meshgrid(np.arange(0, w, factor) + offset, np.arange(0, h, factor) + offset)
        rays = pixels_to_rays(self.intrinsics, np.column_stack([u.ravel(), v.ravel()]))
        return RayTable._from_rays(self.intrinsics, rays[:, 0].reshape(u.shape), rays[:, 1].reshape(u.shape))

    def ray_at(self, u_px: float, v_px: float) -> tuple[float, float]:
        """The ray (ideal x/z, y/z) through a sub-pixel position, interpolated from the table."""
        h, w = self.ray_x.shape
        u = min(max(u_px, 0.0), w - 1.001)
        v = min(max(v_px, 0.0), h - 1.001)
        u0, v0 = int(u), int(v)
        fu, fv = u - u0, v - v0

        def lerp(a: np.ndarray) -> float:
            top = a[v0, u0] * (1 - fu) + a[v0, u0 + 1] * fu
            bottom = a[v0 + 1, u0] * (1 - fu) + a[v0 + 1, u0 + 1] * fu
            return float(top * (1 - fv) + bottom * fv)

        if not (0 <= u_px <= w - 1 and 0 <= v_px <= h - 1):
            # Off the image (a face entering the view): the lens model itself, not the table.
            x, y = pixels_to_rays(self.intrinsics, np.array([[u_px, v_px]]))[0]
            return float(x), float(y)
        return lerp(self.ray_x), lerp(self.ray_y)

    def region(self, x_lo: float, x_hi: float, y_lo: float, y_hi: float) -> tuple[slice, slice] | None:
        """Rows and columns whose rays may fall inside the ideal-coordinate box (conservative)."""
        c0 = int(np.searchsorted(self.column_x_max, x_lo))
        c1 = int(np.searchsorted(self.column_x_min, x_hi, side="right"))
        r0 = int(np.searchsorted(self.row_y_max, y_lo))
        r1 = int(np.searchsorted(self.row_y_min, y_hi, side="right"))
        if c0 >= c1 or r0 >= r1:
            return None
        return slice(r0, r1), slice(c0, c1)
