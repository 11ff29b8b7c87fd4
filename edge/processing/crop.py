"""The portrait crop: the detector box widened 1.3× (Section III-E, Table 4).

A detector box covers the centre of the face; the paper's Table 4 shows that widening it
1.3× about its centre (taking in the forehead, chin and a little background) classifies
best. The same region is cut from colour, depth and IR, so it is expressed once, in colour
pixels, and may extend past the image: ``cut`` pads what lies outside.
"""

from __future__ import annotations

import math

import numpy as np


def widen_box(box_xyxy_px, scale: float) -> tuple[int, int, int, int]:
    """The box scaled about its centre, rounded outward to whole pixels (x1, y1 exclusive)."""
    x0, y0, x1, y1 = (float(v) for v in box_xyxy_px)
    half_w, half_h = (x1 - x0) * scale / 2.0, (y1 - y0) * scale / 2.0
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    return (
        math.floor(cx - half_w),
        math.floor(cy - half_h),
        math.ceil(cx + half_w),
        math.ceil(cy + half_h),
    )


def clip_box(box_xyxy_px: tuple[int, int, int, int], width_px: int, height_px: int):
    """The part of an integer box inside a width×height image, or None when there is none."""
    x0, y0 = max(box_xyxy_px[0], 0), max(box_xyxy_px[1], 0)
    x1, y1 = min(box_xyxy_px[2], width_px), min(box_xyxy_px[3], height_px)
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1, y1)


def cut(image: np.ndarray, box_xyxy_px: tuple[int, int, int, int], replicate_edges: bool) -> np.ndarray:
    """The box's pixels of ``image`` (H×W or H×W×C); outside the image, a copy of the nearest
    edge pixel (``replicate_edges``) or zero. Always a new array."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box_xyxy_px
    inside = clip_box(box_xyxy_px, w, h)
    out = np.zeros((y1 - y0, x1 - x0) + image.shape[2:], dtype=image.dtype)
    if inside is None:
        return out
    ix0, iy0, ix1, iy1 = inside
    out[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = image[iy0:iy1, ix0:ix1]
    if replicate_edges and (ix0 > x0 or iy0 > y0 or ix1 < x1 or iy1 < y1):
        rows = np.clip(np.arange(y0, y1), iy0, iy1 - 1) - iy0
        cols = np.clip(np.arange(x0, x1), ix0, ix1 - 1) - ix0
        out = image[iy0:iy1, ix0:ix1][rows[:, None], cols[None, :]]
    return out


def paste(window: np.ndarray, window_xyxy_px, box_xyxy_px, fill=0) -> np.ndarray:
    """A box-sized array holding ``window`` (whose colour-pixel extent is window_xyxy_px)."""
    x0, y0, x1, y1 = box_xyxy_px
    out = np.full((y1 - y0, x1 - x0), fill, dtype=window.dtype)
    wx0, wy0, wx1, wy1 = window_xyxy_px
    out[wy0 - y0 : wy1 - y0, wx0 - x0 : wx1 - x0] = window
    return out
