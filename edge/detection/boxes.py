"""Box arithmetic shared by the detectors and the tracker: IoU, non-maximum suppression, squaring.

Boxes are x1, y1, x2, y2 in pixels with x2 > x1 and y2 > y1 (continuous coordinates: a box
from 10 to 20 is 10 px wide).
"""

from __future__ import annotations

import numpy as np


def iou(box_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Intersection over union of one box with each of N boxes."""
    boxes_b = np.atleast_2d(np.asarray(boxes_b, dtype=np.float64))
    inter = _intersection(np.asarray(box_a, dtype=np.float64), boxes_b)
    union = _area(np.asarray(box_a, dtype=np.float64)[None])[0] + _area(boxes_b) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def iou_matrix(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """M×N IoU of every box in ``boxes_a`` with every box in ``boxes_b``."""
    boxes_a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)
    boxes_b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    if len(boxes_a) == 0 or len(boxes_b) == 0:
        return np.zeros((len(boxes_a), len(boxes_b)))
    return np.stack([iou(a, boxes_b) for a in boxes_a])


def nms(boxes_with_scores: np.ndarray, threshold: float, divide_by_smaller: bool = False) -> np.ndarray:
    """Indices of the boxes that survive greedy non-maximum suppression, best score first.

    ``boxes_with_scores`` is N×5 (x1, y1, x2, y2, score). A box is suppressed when its overlap
    with a better kept box exceeds ``threshold``; the overlap is IoU, or intersection over the
    smaller area with ``divide_by_smaller`` (MTCNN's last stage: a box inside a bigger one is
    the same face)."""
    if len(boxes_with_scores) == 0:
        return np.empty(0, dtype=int)
    boxes = boxes_with_scores[:, :4].astype(np.float64)
    areas = _area(boxes)
    order = np.argsort(-boxes_with_scores[:, 4], kind="stable")
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        inter = _intersection(boxes[best], boxes[rest])
        if divide_by_smaller:
            overlap = inter / np.maximum(np.minimum(areas[best], areas[rest]), 1e-12)
        else:
            overlap = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-12)
        order = rest[overlap <= threshold]
    return np.asarray(keep, dtype=int)


def square_boxes(boxes: np.ndarray) -> np.ndarray:
    """Each box grown about its centre to a square of its longer side (other columns kept)."""
    out = boxes.copy()
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    sides = np.maximum(widths, heights)
    out[:, 0] = boxes[:, 0] + (widths - sides) / 2.0
    out[:, 1] = boxes[:, 1] + (heights - sides) / 2.0
    out[:, 2] = out[:, 0] + sides
    out[:, 3] = out[:, 1] + sides
    return out


def _area(boxes: np.ndarray) -> np.ndarray:
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def _intersection(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    w = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    h = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)
