"""Depth hole filling and normalisation: the paper's Algorithms 1 and 2 (Section III-F).

Both algorithms work in millimetres (so the SR300's 1/8 mm units and the DCAM710's
millimetres give the same result for the same scene) on depth already registered to colour:

- statistics of the *valid* (non-zero) depth inside the detector box: the mean, and for
  Alg. 1 the minimum and maximum; Alg. 2 instead takes mean ± 50 mm (``depth_window_mm``);
- holes (zeros) inside the 1.3× portrait box are replaced by the mean;
- a non-uniform quantisation to 8 bits, closer brighter (the CASIA-SURF convention).

The paper does not print its 8-bit mapping, only that it is fine in the face's range and
coarse outside. Ours is piecewise linear through these knots (depth d in mm → level):

    lo − s → 255,   lo → 239,   mean → 127.5,   hi → 16,   hi + s → 0,   s = hi − lo

with lo/hi the minimum/maximum (Alg. 1) or mean ∓ window (Alg. 2), saturating at 255 nearer
than lo − s and at 0 farther than hi + s (the room behind a face). Alg. 2's default window
gives 0.45 mm per level on the face and 6.25 mm per level in the two coarse bands; the mean
(and so a filled hole) is always mid-grey. lo and hi are kept at least 0.5 mm from the mean
so that a perfectly flat depth (a print) still has a defined curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

#: Levels at the knots lo − s, lo, mean, hi, hi + s (see the module docstring).
KNOT_LEVELS = (255.0, 239.0, 127.5, 16.0, 0.0)
_MIN_HALF_RANGE_MM = 0.5


@dataclass(frozen=True)
class DepthStatistics:
    """The valid depth inside a detector box (millimetres)."""

    mean_mm: float
    min_mm: float
    max_mm: float
    valid_fraction: float


@dataclass(frozen=True)
class DepthRange:
    """The curve's fine range: lo (near) < mean < hi (far), millimetres."""

    lo_mm: float
    mean_mm: float
    hi_mm: float

    def knots_mm(self) -> tuple[float, float, float, float, float]:
        s = self.hi_mm - self.lo_mm
        return (self.lo_mm - s, self.lo_mm, self.mean_mm, self.hi_mm, self.hi_mm + s)


def box_statistics(depth_mm_in_box: np.ndarray) -> DepthStatistics | None:
    """Mean/min/max of the non-zero depth of a box (None when the box has none)."""
    count, total, lo, hi = _valid_sum_min_max(depth_mm_in_box)
    if count == 0:
        return None
    return DepthStatistics(total / count, lo, hi, count / depth_mm_in_box.size)


@numba.njit(cache=True, nogil=True)
def _valid_sum_min_max(depth_mm):
    # One pass, no boolean-mask copy (numpy took four passes and a temporary).
    count, total, lo, hi = 0, 0.0, np.inf, -np.inf
    rows, cols = depth_mm.shape
    for r in range(rows):
        for c in range(cols):
            d = depth_mm[r, c]
            if d > 0.0:
                count += 1
                total += d
                lo = min(lo, d)
                hi = max(hi, d)
    return count, total, float(lo), float(hi)


def depth_range(stats: DepthStatistics, algorithm: str, window_mm: float) -> DepthRange:
    """Alg. 1: the box's own minimum and maximum; Alg. 2: mean ± window_mm."""
    mean = stats.mean_mm
    if algorithm == "alg1":
        lo, hi = stats.min_mm, stats.max_mm
    elif algorithm == "alg2":
        lo, hi = mean - window_mm, mean + window_mm
    else:
        raise ValueError(f"depth_algorithm must be 'alg1' or 'alg2', got {algorithm!r}")
    return DepthRange(min(lo, mean - _MIN_HALF_RANGE_MM), mean, max(hi, mean + _MIN_HALF_RANGE_MM))


def fill_and_quantise(depth_mm: np.ndarray, rng: DepthRange) -> np.ndarray:
    """Holes (0) → the mean, then the 8-bit curve of the module docstring (uint8, same shape)."""
    out = np.empty(depth_mm.shape, dtype=np.uint8)
    _fill_and_quantise(np.ascontiguousarray(depth_mm, dtype=np.float32), rng.lo_mm, rng.mean_mm, rng.hi_mm, out)
    return out


@numba.njit(cache=True, nogil=True)
def curve_slopes(lo, mean, hi):
    """The curve's band width s and its three slopes (levels per mm), for ``depth_level``."""
    s = hi - lo
    near_fine = (KNOT_LEVELS[1] - KNOT_LEVELS[2]) / (mean - lo)
    far_fine = (KNOT_LEVELS[2] - KNOT_LEVELS[3]) / (hi - mean)
    coarse = (KNOT_LEVELS[0] - KNOT_LEVELS[1]) / s
    return s, near_fine, far_fine, coarse


@numba.njit(cache=True, nogil=True, inline="always")
def depth_level(d, lo, mean, hi, s, near_fine, far_fine, coarse):
    """One depth (mm; 0 is a hole and takes the mean) → its 8-bit level on the curve.
    Compiled into the loops that use it (here and ``portrait.py``), one definition for both.
    Every segment is computed and the right one selected, nearest band last: selects
    instead of branches let LLVM vectorise the loops (3× faster on face depth, where the
    segment changes from pixel to pixel)."""
    d = mean if d == 0.0 else d
    level = KNOT_LEVELS[4]
    level = KNOT_LEVELS[3] - (d - hi) * coarse if d < hi + s else level
    level = KNOT_LEVELS[2] - (d - mean) * far_fine if d < hi else level
    level = KNOT_LEVELS[2] + (mean - d) * near_fine if d < mean else level
    level = KNOT_LEVELS[1] + (lo - d) * coarse if d < lo else level
    level = KNOT_LEVELS[0] if d <= lo - s else level
    return np.uint8(level + 0.5)


@numba.njit(cache=True, nogil=True)
def _fill_and_quantise(depth_mm, lo, mean, hi, out):
    # One pass instead of numpy's fill + interp + round + cast (five full-size temporaries).
    s, near_fine, far_fine, coarse = curve_slopes(lo, mean, hi)
    rows, cols = depth_mm.shape
    for r in range(rows):
        for c in range(cols):
            out[r, c] = depth_level(depth_mm[r, c], lo, mean, hi, s, near_fine, far_fine, coarse)
