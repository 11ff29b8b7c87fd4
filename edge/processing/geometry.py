"""Pixels ↔ rays ↔ points for one camera stream, honouring its lens model.

Conventions (the same as librealsense and OpenCV): pixel (u, v) is the *centre* of column u,
row v; the normalised image point of a ray is (x, y) = (X/Z, Y/Z); the camera looks along +Z;
lengths are millimetres.

Lens models (``edge.frames.DistortionModel``), coefficients in OpenCV's order
k1, k2, p1, p2, k3[, k4, k5, k6], all built on OpenCV's rational lens polynomial
(``apply_polynomial``; Brown-Conrady is the rational model with k4 = k5 = k6 = 0):

- ``NONE``: pinhole.
- ``BROWN_CONRADY`` and ``RATIONAL_8``: the polynomial maps an *ideal* normalised point to
  the *distorted* one: projecting is closed-form, deprojecting iterates (as OpenCV's
  ``undistortPoints`` does).
- ``INVERSE_BROWN_CONRADY`` (the SR300 depth lens): the polynomial maps the *distorted*
  point to the *ideal* one: deprojecting is closed-form, projecting iterates. This is what
  ``rs.align`` computes in librealsense 2.54 on x86 (measured: every footprint it writes
  matches this model, none matches the alternative), i.e. the "official alignment tool" the
  paper's data went through. Beware: the same release's ``rs2_deproject_pixel_to_point``
  instead iterates a "modified" polynomial (tangential terms on the radially scaled point),
  which differs by up to 25 px at the SR300's image corners; we follow ``rs.align``.

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


def apply_polynomial(x, y, c):
    """OpenCV's rational lens polynomial on normalised points (arrays or floats).

    ``c`` holds k1, k2, p1, p2, k3, k4, k5, k6. Plain arithmetic, so that the registration
    kernel compiles this very function with numba."""
    r2 = x * x + y * y
    r4 = r2 * r2
    r6 = r4 * r2
    radial = (1.0 + c[0] * r2 + c[1] * r4 + c[4] * r6) / (1.0 + c[5] * r2 + c[6] * r4 + c[7] * r6)
    xy2 = 2.0 * x * y
    return (
        x * radial + c[2] * xy2 + c[3] * (r2 + 2.0 * x * x),
        y * radial + c[2] * (r2 + 2.0 * y * y) + c[3] * xy2,
    )


def invert_polynomial(xt, yt, c, iterations=INVERSE_ITERATIONS):
    """Solve apply_polynomial(x, y, c) == (xt, yt) by fixed-point iteration (arrays or floats)."""
    x, y = xt, yt
    for _ in range(iterations):
        x, y = inverse_step(x, y, xt, yt, c)
    return x, y


def inverse_step(x, y, xt, yt, c):
    """One fixed-point step of ``invert_polynomial`` from (x, y) towards the point that the
    polynomial maps to (xt, yt). Plain arithmetic, compiled by the registration kernel too."""
    r2 = x * x + y * y
    r4 = r2 * r2
    r6 = r4 * r2
    radial = (1.0 + c[0] * r2 + c[1] * r4 + c[4] * r6) / (1.0 + c[5] * r2 + c[6] * r4 + c[7] * r6)
    xy2 = 2.0 * x * y
    return (
        (xt - c[2] * xy2 - c[3] * (r2 + 2.0 * x * x)) / radial,
        (yt - c[2] * (r2 + 2.0 * y * y) - c[3] * xy2) / radial,
    )


def is_inverse(intr: Intrinsics) -> bool:
    """Whether the lens polynomial maps distorted → ideal (see the module docstring)."""
    return DistortionModel(intr.model) is DistortionModel.INVERSE_BROWN_CONRADY


def has_distortion(intr: Intrinsics) -> bool:
    return DistortionModel(intr.model) is not DistortionModel.NONE and any(intr.coeffs)


def pixel_to_normalised(intr: Intrinsics, u_px, v_px) -> tuple[np.ndarray, np.ndarray]:
    """Ideal normalised point (X/Z, Y/Z) of the ray through each pixel position."""
    xd = (np.asarray(u_px, dtype=np.float64) - intr.cx_px) / intr.fx_px
    yd = (np.asarray(v_px, dtype=np.float64) - intr.cy_px) / intr.fy_px
    if not has_distortion(intr):
        return xd, yd
    c = rational_coefficients(intr)
    return apply_polynomial(xd, yd, c) if is_inverse(intr) else invert_polynomial(xd, yd, c)


def normalised_to_pixel(intr: Intrinsics, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Pixel position where the ray with ideal normalised point (x, y) lands."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if has_distortion(intr):
        c = rational_coefficients(intr)
        x, y = invert_polynomial(x, y, c) if is_inverse(intr) else apply_polynomial(x, y, c)
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
