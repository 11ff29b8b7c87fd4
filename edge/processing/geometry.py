"""Pixels ↔ rays ↔ points for one camera stream, honouring its lens model.

Conventions (the same as librealsense and OpenCV): pixel (u, v) is the *centre* of column u,
row v; the normalised image point of a ray is (x, y) = (X/Z, Y/Z); the camera looks along +Z;
lengths are millimetres.

Lens models (``edge.frames.DistortionModel``), coefficients in OpenCV's order
k1, k2, p1, p2, k3[, k4, k5, k6]. Every model here maps an *ideal* normalised point to the
*distorted* one in closed form, so projecting is closed-form and deprojecting is solved by
iteration (as OpenCV's ``undistortPoints`` and librealsense's deprojection do):

- ``NONE``: pinhole.
- ``BROWN_CONRADY`` and ``RATIONAL_8``: OpenCV's polynomial (rational) model; Brown-Conrady is
  the rational model with k4 = k5 = k6 = 0.
- ``INVERSE_BROWN_CONRADY``: what librealsense 2.54 (the last SDK with the SR300) computes for
  this model, measured against ``rs2_project_point_to_pixel``/``rs2_deproject_pixel_to_point``:
  the radial factor scales the ideal point first and the tangential terms are then evaluated
  on the *scaled* point (with the unscaled r²) — the "modified" Brown-Conrady. Older
  librealsense releases applied the polynomial the other way round (distorted → ideal, closed
  form); 2.54 does not, and ``rs.align`` on the SR300 follows 2.54's functions.

The pipeline deprojects whole images once per camera, so ``pixel_rays`` and
``pixel_corner_rays`` cache a read-only table per ``Intrinsics`` (a frozen, hashable value).
"""

from __future__ import annotations

import functools

import numpy as np

from edge.frames import DistortionModel, Extrinsics, Intrinsics

#: Fixed-point iterations for the iterative direction of a lens model. Surveillance lenses
#: of these cameras converge to < 1e-9 px in fewer than 10; 20 leaves a wide margin.
INVERSE_ITERATIONS = 20


def rational_coefficients(intr: Intrinsics) -> np.ndarray:
    """The lens coefficients as the 8 of the rational model (zeros where a model has none)."""
    padded = np.zeros(8, dtype=np.float64)
    c = intr.distortion_vector()
    padded[: len(c)] = c
    return padded


def distort(x, y, c, modified=False):
    """Ideal → distorted normalised points (arrays or floats) with the rational lens model.

    ``c`` holds k1, k2, p1, p2, k3, k4, k5, k6; ``modified`` evaluates the tangential terms on
    the radially scaled point (librealsense's inverse Brown-Conrady). Plain arithmetic, so the
    registration kernel compiles this very function with numba."""
    r2 = x * x + y * y
    r4 = r2 * r2
    r6 = r4 * r2
    radial = (1.0 + c[0] * r2 + c[1] * r4 + c[4] * r6) / (1.0 + c[5] * r2 + c[6] * r4 + c[7] * r6)
    xs = x * radial
    ys = y * radial
    if modified:
        x, y = xs, ys
    return (
        xs + 2.0 * c[2] * x * y + c[3] * (r2 + 2.0 * x * x),
        ys + 2.0 * c[3] * x * y + c[2] * (r2 + 2.0 * y * y),
    )


def undistort(xd, yd, c, modified=False, iterations=INVERSE_ITERATIONS):
    """Distorted → ideal normalised points: solve distort(x, y) == (xd, yd) by iteration.

    Each step moves the estimate by the residual divided by the local radial scale, a
    Newton step with the Jacobian's dominant (radial) part."""
    x, y = xd, yd
    for _ in range(iterations):
        fx, fy = distort(x, y, c, modified)
        r2 = x * x + y * y
        radial = (1.0 + c[0] * r2 + c[1] * r2 * r2 + c[4] * r2 * r2 * r2) / (
            1.0 + c[5] * r2 + c[6] * r2 * r2 + c[7] * r2 * r2 * r2
        )
        x = x + (xd - fx) / radial
        y = y + (yd - fy) / radial
    return x, y


def is_modified(intr: Intrinsics) -> bool:
    """Whether the model evaluates tangential terms after the radial scaling (see module doc)."""
    return DistortionModel(intr.model) is DistortionModel.INVERSE_BROWN_CONRADY


def has_distortion(intr: Intrinsics) -> bool:
    return DistortionModel(intr.model) is not DistortionModel.NONE and any(intr.coeffs)


def pixel_to_normalised(intr: Intrinsics, u_px, v_px) -> tuple[np.ndarray, np.ndarray]:
    """Ideal normalised point (X/Z, Y/Z) of the ray through each pixel position."""
    xd = (np.asarray(u_px, dtype=np.float64) - intr.cx_px) / intr.fx_px
    yd = (np.asarray(v_px, dtype=np.float64) - intr.cy_px) / intr.fy_px
    if not has_distortion(intr):
        return xd, yd
    return undistort(xd, yd, rational_coefficients(intr), is_modified(intr))


def normalised_to_pixel(intr: Intrinsics, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Pixel position where the ray with ideal normalised point (x, y) lands."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if has_distortion(intr):
        x, y = distort(x, y, rational_coefficients(intr), is_modified(intr))
    return x * intr.fx_px + intr.cx_px, y * intr.fy_px + intr.cy_px


def deproject(intr: Intrinsics, u_px, v_px, z_mm) -> np.ndarray:
    """3-D points (…×3, mm) seen at pixel positions (u_px, v_px) with depth z_mm along +Z."""
    x, y = pixel_to_normalised(intr, u_px, v_px)
    z = np.asarray(z_mm, dtype=np.float64)
    x, y, z = np.broadcast_arrays(x, y, z)
    return np.stack([x * z, y * z, z], axis=-1)


def project(intr: Intrinsics, points_mm) -> np.ndarray:
    """Pixel positions (…×2: u, v) of 3-D points (…×3, mm); points need Z > 0."""
    p = np.asarray(points_mm, dtype=np.float64)
    if p.shape[-1:] != (3,):
        raise ValueError(f"project: points_mm must be …×3, got shape {p.shape}")
    u, v = normalised_to_pixel(intr, p[..., 0] / p[..., 2], p[..., 1] / p[..., 2])
    return np.stack([u, v], axis=-1)


def transfer_pixels(
    source: Intrinsics, target: Intrinsics, source_to_target: Extrinsics, u_px, v_px, z_mm
) -> np.ndarray:
    """Where pixels of one stream, at depth z_mm in that stream's frame, land in another (…×2).

    E.g. an IR box corner (IR is pixel-aligned with depth) into colour pixels with the
    FrameSet's ``depth_to_colour``."""
    return project(target, source_to_target.apply(deproject(source, u_px, v_px, z_mm)))


@functools.lru_cache(maxsize=16)
def pixel_rays(intr: Intrinsics) -> np.ndarray:
    """H×W×2 float64 table of the ideal normalised point (x, y) of every pixel centre."""
    v, u = np.mgrid[0 : intr.height_px, 0 : intr.width_px].astype(np.float64)
    return _read_only(np.stack(pixel_to_normalised(intr, u, v), axis=-1))


@functools.lru_cache(maxsize=16)
def pixel_corner_rays(intr: Intrinsics) -> np.ndarray:
    """(H+1)×(W+1)×2 table of the normalised point of every pixel corner.

    Entry [r, c] is the corner at pixel position (c − 0.5, r − 0.5): pixel (u, v) spans
    corners [v, u] (top-left) to [v+1, u+1] (bottom-right). Registration maps these to
    find each depth pixel's footprint in the colour image."""
    v, u = np.mgrid[0 : intr.height_px + 1, 0 : intr.width_px + 1].astype(np.float64) - 0.5
    return _read_only(np.stack(pixel_to_normalised(intr, u, v), axis=-1))


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a
