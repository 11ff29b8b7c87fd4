"""The compiled inner loops of depth → colour registration (see ``registration.py``).

Why numba: registration is a forward warp with a z-buffer — every depth pixel scatters its
footprint into the colour image and the nearest surface must win. That scatter has no
vectorised numpy form (``np.minimum.at`` or sorting by depth costs 30–130 ms a frame), and
``cv2.registerDepth`` ignores the depth lens model (the SR300's is not pinhole) and costs
3–36 ms. Here each depth row takes two passes: the footprint corners of the whole row are
projected in a branch-free float32 loop that LLVM vectorises (``error_model="numpy"`` drops
the per-division zero check that would stop it), then a scalar loop scatters the footprints.
"""

from __future__ import annotations

import numba
import numpy as np

from edge.frames import Intrinsics
from edge.processing.geometry import (
    INVERSE_ITERATIONS,
    apply_polynomial,
    has_distortion,
    inverse_step,
    is_inverse,
    rational_coefficients,
)

_FAST = dict(cache=True, nogil=True, fastmath=True, error_model="numpy")
_apply_polynomial = numba.njit(inline="always", **_FAST)(apply_polynomial)
_apply_polynomial_point = numba.njit(cache=True, inline="always")(apply_polynomial)
_inverse_step = numba.njit(cache=True, inline="always")(inverse_step)


@numba.njit(cache=True, inline="always")
def _invert_polynomial_point(xt, yt, coeffs, iterations):
    """geometry.invert_polynomial for one point, compiled; it stops once a step leaves the
    point exactly where it was (every further step would too: the same bits as running all
    ``iterations``), after 8–19 of the 20 steps on these lenses."""
    x, y = xt, yt
    for _ in range(iterations):
        next_x, next_y = _inverse_step(x, y, xt, yt, coeffs)
        if next_x == x and next_y == y:
            break
        x, y = next_x, next_y
    return x, y


def lens_parameters(intr: Intrinsics) -> np.ndarray:
    """An Intrinsics as one float64 array for the compiled functions below (one array
    unboxes in a microsecond; a tuple of arrays and flags took ~15):
    fx, fy, cx, cy, the 8 rational coefficients, distorted (0/1), inverse (0/1)."""
    flags = [float(has_distortion(intr)), float(is_inverse(intr))]
    return np.concatenate([[intr.fx_px, intr.fy_px, intr.cx_px, intr.cy_px], rational_coefficients(intr), flags])


@numba.njit(cache=True, nogil=True)
def _pixel_to_normalised(u, v, lens):
    """geometry.pixel_to_normalised for one point, compiled (lens from lens_parameters)."""
    coeffs = lens[4:12]
    x = (u - lens[2]) / lens[0]
    y = (v - lens[3]) / lens[1]
    if lens[12]:
        if lens[13]:
            return _apply_polynomial_point(x, y, coeffs)
        return _invert_polynomial_point(x, y, coeffs, INVERSE_ITERATIONS)
    return x, y


@numba.njit(cache=True, nogil=True)
def _normalised_to_pixel(x, y, lens):
    """geometry.normalised_to_pixel for one point, compiled."""
    coeffs = lens[4:12]
    if lens[12]:
        if lens[13]:
            x, y = _invert_polynomial_point(x, y, coeffs, INVERSE_ITERATIONS)
        else:
            x, y = _apply_polynomial_point(x, y, coeffs)
    return x * lens[0] + lens[2], y * lens[1] + lens[3]


@numba.njit(cache=True, nogil=True)
def window_in_depth(
    colour_window, near_colour_mm, far_colour_mm, colour_lens, rotation, t_mm, depth_lens, depth_size, margin_px
):  # fmt: skip
    """Depth pixels (x0, y0, x1, y1; exclusive ends) whose points at colour-frame depths
    near_colour_mm … far_colour_mm (may be infinite) can land in a colour window: the
    window's outline (5 points an edge, pixel edges) deprojected at both depths, moved into
    the depth frame (X_d = Rᵀ(X_c − t)), projected, and bounded with a margin. Compiled
    because numpy's per-call overhead on these 20 points cost ~0.15 ms, a third of a face's
    registration."""
    x0, y0, x1, y1 = colour_window
    umin, vmin, umax, vmax = np.inf, np.inf, -np.inf, -np.inf
    # Between 5 samples an edge (≤ 50 px apart on a face box) the lenses bend the outline by
    # well under the footprint margin.
    for k in range(20):
        side, i = k // 5, (k % 5) / 4.0
        if side == 0:
            u, v = x0 + i * (x1 - x0), y0
        elif side == 1:
            u, v = x1, y0 + i * (y1 - y0)
        elif side == 2:
            u, v = x0 + i * (x1 - x0), y1
        else:
            u, v = x0, y0 + i * (y1 - y0)
        rx, ry = _pixel_to_normalised(u - 0.5, v - 0.5, colour_lens)
        for colour_mm in (near_colour_mm, far_colour_mm):
            # At infinity only the direction counts: Rᵀ·ray.
            at_infinity = colour_mm == np.inf
            scale = 1.0 if at_infinity else colour_mm
            px = rx * scale - (0.0 if at_infinity else t_mm[0])
            py = ry * scale - (0.0 if at_infinity else t_mm[1])
            pz = scale - (0.0 if at_infinity else t_mm[2])
            dx = rotation[0, 0] * px + rotation[1, 0] * py + rotation[2, 0] * pz
            dy = rotation[0, 1] * px + rotation[1, 1] * py + rotation[2, 1] * pz
            dz = rotation[0, 2] * px + rotation[1, 2] * py + rotation[2, 2] * pz
            if dz <= 0.0:
                continue
            du, dv = _normalised_to_pixel(dx / dz, dy / dz, depth_lens)
            umin, umax = min(umin, du), max(umax, du)
            vmin, vmax = min(vmin, dv), max(vmax, dv)
    w, h = depth_size
    if not umin <= umax:
        return (0, 0, 0, 0)
    return (
        int(min(max(np.floor(umin) - margin_px, 0), w)),
        int(min(max(np.floor(vmin) - margin_px, 0), h)),
        int(min(max(np.ceil(umax) + margin_px + 1, 0), w)),
        int(min(max(np.ceil(vmax) + margin_px + 1, 0), h)),
    )


@numba.njit(cache=True, nogil=True)
def landing_window(
    depth_raw, scale_mm, min_depth_mm, colour_window, rotated_rz_range, t_mm, colour_lens, rotation, depth_lens,
    margin_px,
):  # fmt: skip
    """The depth pixels that can land in a colour window (see ``DepthRegistration.region``):
    the window mapped back for depths from min_depth_mm on, then narrowed to the nearest and
    farthest valid depth found there; (0, 0, 0, 0) when none is valid. One compiled call
    for the three steps (three calls from Python cost ~8 µs more a face)."""
    depth_size = (depth_raw.shape[1], depth_raw.shape[0])
    lowest_rz, highest_rz = rotated_rz_range
    # The colour-frame Z of a point at depth-frame z is z·(R·ray)_z + t_z, which lies
    # between z·min(R·ray)_z + t_z and z·max(R·ray)_z + t_z.
    near_colour_mm = max(min_depth_mm * lowest_rz + t_mm[2], 1.0)
    candidates = window_in_depth(
        colour_window, near_colour_mm, np.inf, colour_lens, rotation, t_mm, depth_lens, depth_size, margin_px
    )
    nearest_raw, farthest_raw = valid_depth_span_raw(depth_raw, candidates)
    if farthest_raw * scale_mm < min_depth_mm:
        return (0, 0, 0, 0)
    near_colour_mm = max(max(nearest_raw * scale_mm, min_depth_mm) * lowest_rz + t_mm[2], 1.0)
    far_colour_mm = max(farthest_raw * scale_mm * highest_rz + t_mm[2], near_colour_mm)
    return window_in_depth(
        colour_window, near_colour_mm, far_colour_mm, colour_lens, rotation, t_mm, depth_lens, depth_size, margin_px
    )


@numba.njit(cache=True, nogil=True)
def valid_depth_span_raw(depth_raw, window):
    """Smallest and largest non-zero raw depth in window (x0, y0, x1, y1); (0, 0) when it
    has none.

    raw − 1 in uint16 arithmetic turns a hole (0) into 65535, the largest value, so the
    minimum of raw − 1 needs no test per pixel and LLVM vectorises it (8× faster than the
    branch on every pixel); a hole is the smallest value for the maximum anyway. Unsigned
    indices spare numba's negative-index checks."""
    x0, y0, x1, y1 = window
    one = np.uint16(1)
    smallest = np.uint16(65535)
    largest = np.uint16(0)
    for r in range(np.uint64(y0), np.uint64(y1)):
        row = depth_raw[r]
        for c in range(np.uint64(x0), np.uint64(x1)):
            smallest = min(smallest, np.uint16(row[c] - one))
            largest = max(largest, row[c])
    if largest == 0:
        return 0, 0
    return int(smallest) + 1, int(largest)


@numba.njit(cache=True, nogil=True)
def nearest_valid_depth_raw(depth_raw, window):
    """Smallest non-zero raw depth in window (x0, y0, x1, y1); 0 when it has none."""
    return valid_depth_span_raw(depth_raw, window)[0]


@numba.njit(inline="always", **_FAST)
def _project_corners(
    raw_row, start, stop, scale_mm, corner_rays, corner_row, corner_shift,
    t_mm, focal, centre, lens, distorted, x, y, xs, ys,
):  # fmt: skip
    """Colour footprint edges of depth pixels start:stop of one row, for one corner of each.

    Pixel c's corner is corner_rays[:, corner_row, c + corner_shift] (the whole table is
    passed: slicing it per row costs reference counting that outweighed the work); the rays
    are rotated into the colour frame; the point z_mm along a ray
    is at ray·z + t, and the colour lens polynomial maps it into the image. The edge is
    floor(position) + 1, the column librealsense's align starts (or ends) a footprint at,
    computed as int(clamp(p + 2, 0, 1e6)) − 1; every position left of −1 or behind the
    camera comes out negative, i.e. outside. Each loop is kept free of branches and of
    small-array reads (LLVM cannot prove those do not alias the outputs) so that it is
    vectorised: otherwise this runs 4–6× slower. x/y (scratch, allocated once by the
    caller) hold the normalised points between the loops."""
    zero = np.float32(0.0)
    far = np.float32(1e6)
    tx, ty, tz = t_mm[0], t_mm[1], t_mm[2]
    fx, fy = focal[0], focal[1]
    cx, cy = centre[0] + np.float32(2.0), centre[1] + np.float32(2.0)
    n = stop - start
    # Unsigned indices: numba wraps negative signed indices around, and that check, with a
    # runtime start, stopped LLVM from vectorising (5× slower).
    first, row, shift = np.uint64(start), np.uint64(corner_row), np.uint64(corner_shift)
    for i in range(n):
        c = first + np.uint64(i)
        z = np.float32(raw_row[c]) * scale_mm
        zc = corner_rays[2, row, c + shift] * z + tz
        # Points behind the camera go far left (outside); zc = 0 only for invalid depth.
        inv = np.float32(1.0) / zc if zc > zero else -far
        x[i] = (corner_rays[0, row, c + shift] * z + tx) * inv
        y[i] = (corner_rays[1, row, c + shift] * z + ty) * inv
    if distorted:
        k = (lens[0], lens[1], lens[2], lens[3], lens[4], lens[5], lens[6], lens[7])
        for i in range(n):
            x[i], y[i] = _apply_polynomial(x[i], y[i], k)
    for i in range(n):
        c = first + np.uint64(i)
        xs[c] = np.int32(min(max(x[i] * fx + cx, zero), far)) - 1
        ys[c] = np.int32(min(max(y[i] * fy + cy, zero), far)) - 1


@numba.njit(**_FAST)
def register_window(
    depth_raw, scale_mm, min_depth_mm, ir, with_ir,
    corner_rays, t_mm, focal, centre, lens, distorted,
    depth_window, colour_size, colour_origin, out_depth_mm, out_ir,
):  # fmt: skip
    """Register the depth pixels of depth_window (x0, y0, x1, y1) into a colour window.

    ``corner_rays[k, r, c]`` (k = x, y, z) is the rotated ray of the corner at depth position
    (c − ½, r − ½); a depth pixel's footprint is the colour rectangle between its top-left
    and bottom-right corners projected at its depth: columns floor(u0)+1 … floor(u1)+1, rows
    likewise. That is what ``rs.align`` of librealsense 2.54 writes (measured pixel by pixel
    on footprints that do not overlap) — half a pixel right of symmetric rounding — and it
    is kept so that our depth matches the SDK-aligned data the paper trained on. A footprint
    not wholly inside the colour image (colour_size = width, height) is dropped, as there.
    The window (colour_origin = its x0, y0; the outputs' shape) receives the part of each
    footprint inside it; the nearest depth wins each colour pixel, and IR follows the
    winner. Depths below min_depth_mm count as invalid."""
    x0, y0, x1, y1 = depth_window
    width, height = colour_size
    ox, oy = colour_origin
    window_h, window_w = out_depth_mm.shape
    n = depth_raw.shape[1]
    left = np.empty(n, np.int32)
    top = np.empty(n, np.int32)
    # The bottom-right corner of pixel c is corner c + 1 of the next row: one longer.
    right = np.empty(n + 1, np.int32)
    bottom = np.empty(n + 1, np.int32)
    x_scratch = np.empty(n, np.float32)
    y_scratch = np.empty(n, np.float32)
    scale = np.float32(scale_mm)
    for r in range(y0, y1):
        row = depth_raw[r]
        ir_row = ir[r] if with_ir else ir[0]
        _project_corners(
            row, x0, x1, scale, corner_rays, r, 0, t_mm, focal, centre, lens, distorted, x_scratch, y_scratch, left, top
        )
        _project_corners(
            row, x0, x1, scale, corner_rays, r + 1, 1, t_mm, focal, centre, lens, distorted, x_scratch, y_scratch,
            right, bottom,
        )
        for i in range(x0, x1):
            raw = row[np.uint64(i)]
            if raw == 0:
                continue
            z = np.float32(raw) * scale
            if z < min_depth_mm:
                continue
            a, b, c, d = left[np.uint64(i)], top[np.uint64(i)], right[np.uint64(i)], bottom[np.uint64(i)]
            if a < 0 or b < 0 or c >= width or d >= height:
                continue
            fx0, fy0 = max(a - ox, 0), max(b - oy, 0)
            fx1, fy1 = min(c - ox, window_w - 1), min(d - oy, window_h - 1)
            if fx1 < fx0 or fy1 < fy0:
                continue
            value = ir_row[np.uint64(i)]
            # Unsigned indices spare numba's negative-index wrap-around on every access.
            for y in range(np.uint64(fy0), np.uint64(fy1) + np.uint64(1)):
                for x in range(np.uint64(fx0), np.uint64(fx1) + np.uint64(1)):
                    current = out_depth_mm[y, x]
                    if current == 0.0 or z < current:
                        out_depth_mm[y, x] = z
                        if with_ir:
                            out_ir[y, x] = value
