"""Box arithmetic under the detectors and the tracker."""

import numpy as np

from edge.detection.boxes import iou, iou_matrix, nms, square_boxes


def test_iou_of_known_overlaps():
    box = np.array([0.0, 0.0, 10.0, 10.0])
    others = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [10, 10, 20, 20], [2, 2, 8, 8]], dtype=float)
    assert np.allclose(iou(box, others), [1.0, 50 / 150, 0.0, 36 / 100])
    assert iou_matrix(others, np.empty((0, 4))).shape == (4, 0)
    assert np.allclose(iou_matrix(others[:2], others[:2]), [[1, 1 / 3], [1 / 3, 1]])


def test_nms_keeps_the_best_of_overlapping_boxes_and_separate_ones():
    boxes = np.array([
        [0, 0, 10, 10, 0.8],
        [1, 0, 11, 10, 0.9],     # overlaps the first by 9/11 → suppresses it
        [50, 50, 60, 60, 0.7],   # elsewhere
    ])
    assert nms(boxes, 0.5).tolist() == [1, 2]
    assert nms(boxes, 0.95).tolist() == [1, 0, 2]
    assert nms(np.empty((0, 5)), 0.5).size == 0


def test_nms_over_the_smaller_area_removes_a_box_inside_another():
    boxes = np.array([[0, 0, 40, 40, 0.9], [10, 10, 20, 20, 0.8]])
    assert nms(boxes, 0.7).tolist() == [0, 1]  # IoU 100/1600: kept
    assert nms(boxes, 0.7, divide_by_smaller=True).tolist() == [0]  # wholly inside: removed


def test_square_boxes_keep_the_centre_and_take_the_longer_side():
    squared = square_boxes(np.array([[10.0, 20.0, 30.0, 60.0, 0.5]]))[0]
    assert np.allclose(squared, [0.0, 20.0, 40.0, 60.0, 0.5])
