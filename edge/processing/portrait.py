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


@numba.njit(cache=True, nogil=True)
def _statistics(depth_mm, ir_levels, x0, y0, x1, y1):
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
    for r in range(box_h):
        wr = r - oy
        row_inside = 0 <= wr < window_h
        for c in range(box_w):
            wc = c - ox
            if row_inside and 0 <= wc < window_w and depth_mm[wr, wc] > 0.0:
                out[r, c, 0] = depth_level(depth_mm[wr, wc], lo, mean, hi, s, near_fine, far_fine, coarse)
                out[r, c, 1] = ir_levels[wr, wc]
            else:
                out[r, c, 0] = hole
                out[r, c, 1] = ir_fill
