"""Faces found on infrared, moved into colour-image pixels.

Both cameras' IR is pixel-aligned with depth (same sensor), in the depth sensor's geometry,
which is not the colour camera's: a few centimetres of baseline and different lenses. A face
box is moved by deprojecting it at the face's distance through the depth intrinsics, moving
the points into the colour camera's frame with the FrameSet's ``depth_to_colour`` extrinsics
and projecting them through the colour intrinsics (``edge.processing.geometry``).

The face's distance is the median valid depth in the middle of the IR box (the same pixels in
the depth image). Where depth has no valid pixel there (out of range, a glossy screen on the
coded-light camera), the distance is estimated from the box width and an average face width —
the parallax error that leaves is a few pixels at these baselines.
"""

from __future__ import annotations

import numpy as np

from edge.detection.base import Detection
from edge.frames import FrameSet, Geometry
from edge.processing.geometry import transfer_pixels

#: Width of a detector's face box on an adult face, for the distance fallback. YuNet's boxes on
#: the simulator's faces measure 113–130 mm (median 120) over 0.4–1.1 m, in line with an adult
#: face's width between the cheeks' outer edges.
TYPICAL_FACE_BOX_WIDTH_MM = 120.0
#: Fraction of the box (about its centre) whose depth is taken: the inner part is face, the
#: edges can be background.
_DEPTH_WINDOW_FRACTION = 0.5


def ir_is_colour_aligned(frameset: FrameSet) -> bool:
    return frameset.ir_geometry is Geometry.COLOUR


def face_distance_mm(frameset: FrameSet, box_xyxy_ir_px: tuple[float, float, float, float]) -> float:
    """Distance of a face seen in the IR image: median valid depth in the box's middle, else
    the estimate from the box width."""
    x1, y1, x2, y2 = box_xyxy_ir_px
    if frameset.depth_geometry is frameset.ir_geometry:
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        half_w, half_h = (x2 - x1) * _DEPTH_WINDOW_FRACTION / 2, (y2 - y1) * _DEPTH_WINDOW_FRACTION / 2
        h, w = frameset.depth_raw.shape
        c1, c2 = int(max(cx - half_w, 0)), int(min(cx + half_w + 1, w))
        r1, r2 = int(max(cy - half_h, 0)), int(min(cy + half_h + 1, h))
        window = frameset.depth_raw[r1:r2, c1:c2]
        valid = window[window > 0]
        if valid.size:
            return float(np.median(valid)) * frameset.depth_scale_mm
    return frameset.depth_intrinsics.fx_px * TYPICAL_FACE_BOX_WIDTH_MM / max(x2 - x1, 1.0)


def ir_detection_to_colour(frameset: FrameSet, detection: Detection) -> Detection:
    """The detection in colour pixels (unchanged when the camera already aligned IR to colour)."""
    if ir_is_colour_aligned(frameset):
        return detection
    distance_mm = face_distance_mm(frameset, detection.box_xyxy_px)
    x1, y1, x2, y2 = detection.box_xyxy_px
    # Corners and edge midpoints: under lens distortion the edges of the box bend a little.
    xs = np.array([x1, (x1 + x2) / 2, x2, x2, x2, (x1 + x2) / 2, x1, x1])
    ys = np.array([y1, y1, y1, (y1 + y2) / 2, y2, y2, y2, (y1 + y2) / 2])
    outline = _to_colour(frameset, xs, ys, distance_mm)
    landmarks = np.asarray(detection.landmarks_px, dtype=np.float64).reshape(-1, 2)
    landmarks = _to_colour(frameset, landmarks[:, 0], landmarks[:, 1], distance_mm)
    return detection.with_changes(
        box_xyxy_px=(float(outline[:, 0].min()), float(outline[:, 1].min()),
                     float(outline[:, 0].max()), float(outline[:, 1].max())),
        landmarks_px=tuple((float(x), float(y)) for x, y in landmarks),
    )


def _to_colour(frameset: FrameSet, u_px: np.ndarray, v_px: np.ndarray, distance_mm: float) -> np.ndarray:
    return transfer_pixels(
        frameset.depth_intrinsics, frameset.colour_intrinsics, frameset.depth_to_colour,
        u_px, v_px, np.full_like(u_px, distance_mm),
    )
