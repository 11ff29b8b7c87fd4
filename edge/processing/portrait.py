"""The portrait crop's depth and IR levels, straight from the registered window (Section III-F).

``face_input.prepare_face`` needs, for the 1.3× portrait box: the statistics of the valid
depth inside the detector box, the mean IR level of those same pixels, and then every
portrait pixel's depth level (holes → the mean) and IR level (pixels without depth → that
mean IR). Done with whole-array numpy steps this took seven passes and as many temporaries
(paste into the box, masks, fancy indexing, a stack of the two planes: ~0.15 ms a face);
here it is two compiled passes over the registered window, which lies inside the portrait
box (the part of the box inside the colour image). Pixels of the box outside the window
have no depth: they count as holes, exactly as if the window had been pasted into a zero box.

The numbers are the same as ``depth.box_statistics`` + ``depth.fill_and_quantise`` give on
the pasted box: the same pixels in the same order, the same float64 sums and the same
compiled level function (``depth.depth_level``).
"""

from __future__ import annotations

import numba
import numpy as np

from edge.processing.depth import DepthRange, DepthStatistics, curve_slopes, depth_level


def detector_statistics(
    depth_window_mm: np.ndarray, ir_window_levels: np.ndarray, detector_in_window, detector_size_px: int
) -> tuple[DepthStatistics | None, float]:
    """Valid-depth statistics of the detector box and the mean IR level of its valid pixels.

    ``detector_in_window`` is the detector box in window pixels (x0, y0, x1, y1), already
    clipped to the window; ``detector_size_px`` its area before clipping, which the valid
    fraction is counted against (pixels outside the image are holes). None (and IR 0) when the
    box has no valid depth."""
    x0, y0, x1, y1 = detector_in_window
    count, total, lo, hi, ir_total = _statistics(depth_window_mm, ir_window_levels, x0, y0, x1, y1)
    if count == 0:
        return None, 0.0
    return DepthStatistics(total / count, lo, hi, count / detector_size_px), ir_total / count


def portrait_levels(
    depth_window_mm: np.ndarray,
    ir_window_levels: np.ndarray,
    window_origin_in_box_px: tuple[int, int],
    box_shape_px: tuple[int, int],
    rng: DepthRange,
    ir_fill_level: int,
) -> np.ndarray:
    """box_h×box_w×2 uint8: the depth level and the IR level of every portrait-box pixel.

    The window (depth float32 mm and IR uint8 levels) sits at ``window_origin_in_box_px``
    (x, y) in the box; the rest of the box has no depth. Depth holes take the range's mean,
    IR without depth takes ``ir_fill_level``."""
    out = np.empty(box_shape_px + (2,), dtype=np.uint8)
    ox, oy = window_origin_in_box_px
    _levels(depth_window_mm, ir_window_levels, ox, oy, rng.lo_mm, rng.mean_mm, rng.hi_mm, np.uint8(ir_fill_level), out)
    return out


#: Depths at least this large (mm) are float32 multiples of 2^-17: see ``_statistics``.
_FIXED_POINT_MIN_MM = 64.0
_FIXED_POINT_ONE = 2.0**17
#: Below this the fixed-point total converts to float64 exactly (53-bit mantissa).
_FIXED_POINT_LIMIT = 2.0**53


@numba.njit(cache=True, nogil=True)
def _statistics(depth_mm, ir_levels, x0, y0, x1, y1):
    """count, float64 sum, min and max of the valid (> 0) depth of the box, and the IR sum.

    The sum must be the one a plain loop adding row by row gives (``depth.box_statistics``),
    but that loop is one chain of dependent float64 additions (~0.1 ms on a 1080p face).
    A float32 depth ≥ 64 mm is a whole multiple of 2^-17 mm, so while the total stays below
    2^36 mm no partial sum of such depths is ever rounded: every order of addition gives the
    exact total. That total is taken here in 2^-17 mm integers (order-free, vectorised); a
    box with smaller depths or a larger total goes through the plain loop instead."""
    count, fixed_total, ir_total = 0, 0, 0
    # Positive float32 values order as their bit patterns: min and max on integers, which
    # (unlike float min/max with their NaN rules) LLVM vectorises.
    lo_bits, hi_bits = np.uint32(0xFFFFFFFF), np.uint32(0)
    one = np.float32(_FIXED_POINT_ONE)
    for r in range(y0, y1):
        depth_row, ir_row = depth_mm[r], ir_levels[r]
        # Unsigned indices: numba's wrap-around test for negative ones stops vectorising.
        for c in range(np.uint64(x0), np.uint64(x1)):
            d = depth_row[c]
            valid = d > 0.0
            bits = np.float32(d).view(np.uint32)
            count += 1 if valid else 0
            # d·2^17 is exact in float32 (a power of two), and a whole number when d ≥ 64.
            fixed_total += np.int64(d * one)
            lo_bits = min(lo_bits, bits if valid else np.uint32(0xFFFFFFFF))
            hi_bits = max(hi_bits, bits)
            ir_total += ir_row[c] if valid else 0
    lo = np.uint32(lo_bits).view(np.float32)
    hi = np.uint32(hi_bits).view(np.float32)
    if count == 0 or lo < _FIXED_POINT_MIN_MM or fixed_total >= _FIXED_POINT_LIMIT:
        return _statistics_in_order(depth_mm, ir_levels, x0, y0, x1, y1)
    return count, fixed_total / _FIXED_POINT_ONE, float(lo), float(hi), float(ir_total)


@numba.njit(cache=True, nogil=True)
def _statistics_in_order(depth_mm, ir_levels, x0, y0, x1, y1):
    count, total, lo, hi, ir_total = 0, 0.0, np.inf, -np.inf, 0
    for r in range(y0, y1):
        for c in range(x0, x1):
            d = depth_mm[r, c]
            if d > 0.0:
                count += 1
                total += d
                lo = min(lo, d)
                hi = max(hi, d)
                ir_total += ir_levels[r, c]
    return count, total, float(lo), float(hi), float(ir_total)


@numba.njit(cache=True, nogil=True)
def _levels(depth_mm, ir_levels, ox, oy, lo, mean, hi, ir_fill, out):
    s, near_fine, far_fine, coarse = curve_slopes(lo, mean, hi)
    hole = depth_level(0.0, lo, mean, hi, s, near_fine, far_fine, coarse)
    box_h, box_w = out.shape[0], out.shape[1]
    window_h, window_w = depth_mm.shape
    # The window's part of the box: rows r0:r1, columns c0:c1 in window pixels.
    r0, r1 = max(-oy, 0), max(min(box_h - oy, window_h), max(-oy, 0))
    c0, c1 = max(-ox, 0), max(min(box_w - ox, window_w), max(-ox, 0))
    # Flat unsigned indices: numba's negative-index wrap-around checks on 3-D indexing made
    # this loop 3× slower. The window's loop has no branch (a hole's level is the mean's,
    # so depth_level needs no test) so that LLVM can vectorise it.
    flat, depth_flat, ir_flat = out.reshape(-1), depth_mm.reshape(-1), ir_levels.reshape(-1)
    two, one = np.uint64(2), np.uint64(1)
    for r in range(box_h):
        row_start = np.uint64(r * box_w) * two
        # Box columns [first, stop) of this row hold window pixels; the rest are holes.
        first, stop = (c0 + ox, c1 + ox) if r0 <= r - oy < r1 else (box_w, box_w)
        for c in range(np.uint64(0), np.uint64(first)):
            flat[row_start + two * c], flat[row_start + two * c + one] = hole, ir_fill
        for c in range(np.uint64(stop), np.uint64(box_w)):
            flat[row_start + two * c], flat[row_start + two * c + one] = hole, ir_fill
        src, dst = np.uint64((r - oy) * window_w + c0), row_start + np.uint64(first) * two
        for i in range(np.uint64(stop - first)):
            d = depth_flat[src + i]
            flat[dst + two * i] = depth_level(d, lo, mean, hi, s, near_fine, far_fine, coarse)
            flat[dst + two * i + one] = ir_flat[src + i] if d > 0.0 else ir_fill
