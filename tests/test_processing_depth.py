"""Algorithms 1 and 2: statistics, hole filling and the documented 8-bit curve."""

import numpy as np
import pytest

from edge.processing.depth import (
    KNOT_LEVELS,
    DepthRange,
    DepthStatistics,
    box_statistics,
    depth_range,
    fill_and_quantise,
)


def reference_levels(depth_mm: np.ndarray, rng: DepthRange) -> np.ndarray:
    """The module docstring's curve written independently with np.interp."""
    filled = np.where(depth_mm == 0, rng.mean_mm, depth_mm)
    return np.interp(filled, rng.knots_mm(), KNOT_LEVELS)


@pytest.mark.parametrize("rng", [DepthRange(550.0, 600.0, 650.0), DepthRange(570.0, 590.0, 660.0)])
def test_quantisation_follows_the_documented_curve(rng):
    depth = np.random.default_rng(0).uniform(300.0, 900.0, (120, 90)).astype(np.float32)
    depth[::7, ::5] = 0.0
    levels = fill_and_quantise(depth, rng)
    assert levels.dtype == np.uint8 and levels.shape == depth.shape
    np.testing.assert_allclose(levels, reference_levels(depth, rng), atol=0.5 + 1e-6)


def test_closer_is_brighter_and_fine_inside_the_window():
    rng = DepthRange(550.0, 600.0, 650.0)
    depth = np.linspace(400.0, 800.0, 4001, dtype=np.float32)[None, :]
    levels = fill_and_quantise(depth, rng)[0].astype(int)
    assert (np.diff(levels) <= 0).all()
    assert levels[0] == 255 and levels[-1] == 0
    inside = (depth[0] >= 550) & (depth[0] <= 650)
    # 100 mm over levels 239…16: about 2.2 levels per millimetre inside, 0.16 outside.
    assert levels[inside].max() - levels[inside].min() == 223
    near_band = (depth[0] >= 450) & (depth[0] < 550)
    assert levels[near_band].max() - levels[near_band].min() <= 16


def test_holes_become_the_mean_and_no_zero_remains():
    rng = DepthRange(560.0, 610.0, 660.0)
    depth = np.full((50, 40), 610.0, np.float32)
    depth[10:30, 5:25] = 0.0
    levels = fill_and_quantise(depth, rng)
    assert (levels == 128).all()  # the mean is mid-grey (127.5 rounds up)


def test_box_statistics_ignore_holes():
    box = np.array([[0, 600, 610], [0, 0, 620]], np.float32)
    stats = box_statistics(box)
    assert stats == DepthStatistics(mean_mm=610.0, min_mm=600.0, max_mm=620.0, valid_fraction=0.5)
    assert box_statistics(np.zeros((4, 4), np.float32)) is None


def test_algorithm_two_uses_mean_plus_minus_the_window_and_one_the_extremes():
    stats = DepthStatistics(mean_mm=600.0, min_mm=570.0, max_mm=700.0, valid_fraction=1.0)
    assert depth_range(stats, "alg2", 50.0) == DepthRange(550.0, 600.0, 650.0)
    assert depth_range(stats, "alg1", 50.0) == DepthRange(570.0, 600.0, 700.0)


def test_a_flat_depth_still_has_a_defined_curve():
    flat = DepthStatistics(mean_mm=800.0, min_mm=800.0, max_mm=800.0, valid_fraction=1.0)
    rng = depth_range(flat, "alg1", 50.0)
    assert rng.lo_mm < 800.0 < rng.hi_mm
    assert (fill_and_quantise(np.full((3, 3), 800.0, np.float32), rng) == 128).all()


def test_an_unknown_algorithm_is_named():
    stats = DepthStatistics(600.0, 590.0, 610.0, 1.0)
    with pytest.raises(ValueError, match="alg3"):
        depth_range(stats, "alg3", 50.0)
