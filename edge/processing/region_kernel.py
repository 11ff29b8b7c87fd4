"""The compiled loop of face-region registration (``DepthRegistration.region``).

It computes what ``registration_kernel.register_window`` computes — the same footprints
from the same compiled corner projection, the nearest depth winning each colour pixel and
IR following the winner — but is built for a window of a few hundred depth rows, where the
full-frame kernel spent most of its time on branches rather than on pixels:

- The z-buffer holds one key per colour pixel: the depth above the depth pixel's index —
  uint64 keys carry the float32 bits of the depth (a positive float's bits order as its
  value) and the row-major index in the image; for a depth window of at most 65535 pixels
  (every face here) uint32 keys carry the raw depth (it orders as the depth in mm: the
  scale is positive and distinct raw values stay distinct in float32) and the index in the
  window. The smallest key is the nearest depth and, among equal depths, the depth pixel
  scanned first — exactly the winner of the full-frame kernel's "replace only when strictly
  nearer" test. Updating it is a branch-free ``min``; the depth and the IR of the winner are
  read back from the keys at the end (``read_keys``).
- A footprint is 2–3 colour pixels a side at 640×480 and 3–4 at 1080p. Loops of 2 or 3
  steps mispredict at every exit, so a footprint of 2 to ``footprint_px`` pixels a side
  updates rows of a fixed width, written out, with the pixels right of the footprint masked
  to a key that never wins (the key buffer has ``footprint_px`` spare columns for them).
  Rows beyond the second are tested instead: the footprints of one depth row span nearly
  the same colour rows, so that branch is predicted (4–9 % faster than writing masked
  rows). Other footprints (clipped by the window's edge, or larger where distortion is
  strong) take plain loops.
- Only the span of each depth row between its first and last non-zero depth is projected:
  holes cannot land anywhere.

Measured on the simulator's 640×480 frame, 200×200 colour box (thread CPU medians, shared
machine): the full-frame kernel on that region 270 µs; this kernel 135 µs plus 24 µs to read
the keys back.
"""

from __future__ import annotations

import numba
import numpy as np

from edge.processing.registration_kernel import _project_corners

_FAST = dict(cache=True, nogil=True, fastmath=True, error_model="numpy")

#: The key of a colour pixel no depth pixel landed on: larger than any real key.
_EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)

#: A depth window of at most this many pixels gets compact keys: uint32, the raw depth (in
#: the order of the depth in mm) above the pixel's index in the window (half the memory).
COMPACT_KEY_PIXELS = 0xFFFF

#: Footprint sides with a masked, fixed-size update (see the module docstring).
MASKED_FOOTPRINT_SIDES_PX = (3, 4)


@numba.njit(**_FAST)
def _min_row(keys, start, side, key0, key1, key2, key3):
    """min-update the first ``side`` (3 or 4) keys from flat index start with these keys (a
    masked one never wins). LLVM inlines this and drops the test of the constant side."""
    keys[start] = min(keys[start], key0)
    keys[start + np.uint64(1)] = min(keys[start + np.uint64(1)], key1)
    keys[start + np.uint64(2)] = min(keys[start + np.uint64(2)], key2)
    if side == 4:
        keys[start + np.uint64(3)] = min(keys[start + np.uint64(3)], key3)


@numba.njit(**_FAST)
def register_region_keys(
    depth_raw, scale_mm, min_depth_mm, corner_rays, t_mm, focal, centre, lens, distorted,
    depth_window, colour_size, colour_window, footprint_px, keys,
):  # fmt: skip
    """Fill ``keys`` (h×(w + footprint_px) for a colour window of h×w
    pixels at colour_window's x0, y0) from the depth pixels of depth_window: uint64 keys, or
    compact uint32 ones for a depth window of at most ``COMPACT_KEY_PIXELS`` pixels."""
    x0, y0, x1, y1 = depth_window
    compact = keys.itemsize == 4
    depth_window_w = x1 - x0
    width, height = colour_size
    ox, oy = colour_window[0], colour_window[1]
    window_w, window_h = colour_window[2] - ox, colour_window[3] - oy
    stride = np.uint64(keys.shape[1])
    flat = keys.reshape(-1)
    flat[:] = _EMPTY
    n = depth_raw.shape[1]
    left = np.empty(n, np.int32)
    top = np.empty(n, np.int32)
    right = np.empty(n + 1, np.int32)
    bottom = np.empty(n + 1, np.int32)
    x_scratch = np.empty(n, np.float32)
    y_scratch = np.empty(n, np.float32)
    scale = np.float32(scale_mm)
    for r in range(y0, y1):
        row = depth_raw[r]
        first, stop = x0, x1
        while first < stop and row[np.uint64(first)] == 0:
            first += 1
        while stop > first and row[np.uint64(stop - 1)] == 0:
            stop -= 1
        if first == stop:
            continue
        _project_corners(
            row, first, stop, scale, corner_rays, r, 0, t_mm, focal, centre, lens, distorted,
            x_scratch, y_scratch, left, top,
        )  # fmt: skip
        _project_corners(
            row, first, stop, scale, corner_rays, r + 1, 1, t_mm, focal, centre, lens, distorted,
            x_scratch, y_scratch, right, bottom,
        )  # fmt: skip
        for i in range(first, stop):
            raw = row[np.uint64(i)]
            if raw == 0:
                continue
            z = np.float32(raw) * scale
            if z < min_depth_mm:
                continue
            a, b, c, d = left[np.uint64(i)], top[np.uint64(i)], right[np.uint64(i)], bottom[np.uint64(i)]
            # A footprint not wholly inside the colour image is dropped (as rs.align does).
            if a < 0 or b < 0 or c >= width or d >= height:
                continue
            fx0, fy0 = max(a - ox, 0), max(b - oy, 0)
            last_x, last_y = min(c - ox, window_w - 1) - fx0, min(d - oy, window_h - 1) - fy0
            if last_x < 0 or last_y < 0:
                continue
            if compact:
                key = (np.uint64(raw) << np.uint64(16)) | np.uint64((r - y0) * depth_window_w + i - x0)
            else:
                key = (np.uint64(np.float32(z).view(np.uint32)) << np.uint64(32)) | np.uint64(r * n + i)
            base = np.uint64(fy0) * stride + np.uint64(fx0)
            if (last_x >= 1) & (last_y >= 1) & (last_x < footprint_px) & (last_y < footprint_px):
                # Nearly every footprint: two rows of at least 2 pixels, then the rows it has.
                key2 = key if last_x >= 2 else _EMPTY
                key3 = key if last_x >= 3 else _EMPTY
                _min_row(flat, base, footprint_px, key, key, key2, key3)
                _min_row(flat, base + stride, footprint_px, key, key, key2, key3)
                if last_y >= 2:
                    third = base + stride + stride
                    _min_row(flat, third, footprint_px, key, key, key2, key3)
                    if (footprint_px == 4) & (last_y >= 3):
                        _min_row(flat, third + stride, footprint_px, key, key, key2, key3)
            else:
                for y in range(np.uint64(last_y) + np.uint64(1)):
                    start = base + y * stride
                    for x in range(np.uint64(last_x) + np.uint64(1)):
                        flat[start + x] = min(flat[start + x], key)


@numba.njit(**_FAST)
def read_keys(keys, scale_mm, ir, with_ir, out_depth_mm, out_ir):
    """Depth (float32 mm, 0 where nothing landed) and the winner's IR from the keys; two
    branch-free loops that LLVM vectorises. ``ir`` is the whole IR image for uint64 keys,
    the depth window's part of it (contiguous) for compact ones."""
    window_h, window_w = out_depth_mm.shape
    ir_flat = ir.reshape(-1)
    compact = keys.itemsize == 4
    empty = np.uint64(0xFFFFFFFF) if compact else _EMPTY
    index_bits = np.uint64(0xFFFF) if compact else np.uint64(0xFFFFFFFF)
    scale = np.float32(scale_mm)
    for y in range(window_h):
        for x in range(window_w):
            key = np.uint64(keys[y, x])
            if compact:
                raw = key >> np.uint64(16) if key != empty else np.uint64(0)
                out_depth_mm[y, x] = np.float32(raw) * scale
            else:
                high = key >> np.uint64(32) if key != empty else np.uint64(0)
                out_depth_mm[y, x] = np.uint32(high).view(np.float32)
    if with_ir:
        for y in range(window_h):
            for x in range(window_w):
                key = np.uint64(keys[y, x])
                hit = key != empty
                value = ir_flat[key & index_bits if hit else np.uint64(0)]
                out_ir[y, x] = value if hit else 0
