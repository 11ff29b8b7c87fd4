"""The compiled fast paths give the very numbers of the plain steps they replace."""

import numpy as np
import pytest

from edge.processing.crop import paste
from edge.processing.depth import DepthRange, box_statistics, fill_and_quantise
from edge.processing.geometry import INVERSE_ITERATIONS, invert_polynomial
from edge.processing.portrait import detector_statistics, portrait_levels
from edge.processing.registration_kernel import _invert_polynomial_point, nearest_valid_depth_raw


def face_like_window(rng, shape):
    """Float32 mm around 600 with holes, and uint8 IR: what registration hands over."""
    depth = (600.0 + rng.normal(0.0, 40.0, shape)).astype(np.float32)
    depth[rng.random(shape) < 0.2] = 0.0
    return depth, rng.integers(0, 256, shape, dtype=np.uint8)


@pytest.mark.parametrize(
    "window_xyxy, detector_xyxy",
    [
        ((0, 0, 40, 50), (5, 6, 35, 44)),  # box inside the image: window = box
        ((7, 0, 40, 50), (5, 6, 35, 44)),  # box past the image's left edge
        ((0, 9, 33, 50), (2, 3, 38, 47)),  # past the top and right edges; detector past both
        ((0, 0, 40, 50), (0, 0, 0, 0)),  # an empty detector box
    ],
)
def test_portrait_levels_equal_paste_statistics_and_fill(window_xyxy, detector_xyxy):
    rng = np.random.default_rng(sum(window_xyxy) + sum(detector_xyxy))
    box = (0, 0, 40, 50)
    x0, y0, x1, y1 = window_xyxy
    depth, ir = face_like_window(rng, (y1 - y0, x1 - x0))

    # The plain steps: paste into the zero box, statistics of the detector slice, fill.
    pasted_depth, pasted_ir = paste(depth, window_xyxy, box), paste(ir, window_xyxy, box)
    dx0, dy0, dx1, dy1 = detector_xyxy
    expected = box_statistics(pasted_depth[dy0:dy1, dx0:dx1])
    detector_in_window = (max(dx0 - x0, 0), max(dy0 - y0, 0), min(dx1 - x0, x1 - x0), min(dy1 - y0, y1 - y0))
    stats, ir_mean = detector_statistics(depth, ir, detector_in_window, (dx1 - dx0) * (dy1 - dy0))
    assert stats == expected
    if expected is None:
        return
    valid = pasted_depth[dy0:dy1, dx0:dx1] > 0
    assert ir_mean == pasted_ir[dy0:dy1, dx0:dx1][valid].mean()

    rng_mm = DepthRange(stats.mean_mm - 50.0, stats.mean_mm, stats.mean_mm + 50.0)
    levels = portrait_levels(depth, ir, (x0, y0), (50, 40), rng_mm, 77)
    np.testing.assert_array_equal(levels[..., 0], fill_and_quantise(pasted_depth, rng_mm))
    np.testing.assert_array_equal(levels[..., 1], np.where(pasted_depth > 0, pasted_ir, 77))
    assert (levels[..., 1][pasted_depth == 0] == 77).all() and (pasted_depth == 0).any()


def test_nearest_valid_depth_skips_holes_and_keeps_the_largest_raw():
    depth = np.zeros((6, 8), np.uint16)
    assert nearest_valid_depth_raw(depth, (0, 0, 8, 6)) == 0  # all holes
    depth[2, 3], depth[4, 6], depth[1, 1] = 65535, 4000, 3000
    assert nearest_valid_depth_raw(depth, (2, 2, 8, 6)) == 4000  # (1, 1) is outside the window
    assert nearest_valid_depth_raw(depth, (0, 0, 8, 6)) == 3000
    assert nearest_valid_depth_raw(depth, (3, 2, 4, 3)) == 65535  # the largest raw is valid depth
    assert nearest_valid_depth_raw(depth, (3, 3, 3, 3)) == 0  # an empty window


def test_compiled_point_inverse_equals_the_full_iteration_bit_for_bit():
    # The SR300 depth lens (inverse Brown-Conrady) and a strongly distorted rational one.
    lenses = [
        np.array([0.138, 0.101, 0.0041, 0.0052, 0.071, 0.0, 0.0, 0.0]),
        np.array([-0.3, 0.12, -0.002, 0.001, -0.02, 0.05, 0.01, 0.002]),
    ]
    rng = np.random.default_rng(7)
    points = rng.uniform(-0.6, 0.6, (400, 2))
    for coeffs in lenses:
        xs, ys = invert_polynomial(points[:, 0], points[:, 1], coeffs)
        for (xt, yt), x, y in zip(points, xs, ys):
            assert _invert_polynomial_point(xt, yt, coeffs, INVERSE_ITERATIONS) == (x, y)
