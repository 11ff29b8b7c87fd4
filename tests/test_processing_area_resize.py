"""The shared area resize gives OpenCV's INTER_AREA result bit for bit, and the readers use it."""

import cv2
import numpy as np
import pytest

from edge.processing.area_resize import area_resize, area_resize_crop
from edge.processing.crop import cut
from engines.data.degrade import Degradation


def opencv_area(image, size_px):
    return cv2.resize(image, (size_px, size_px), interpolation=cv2.INTER_AREA)


def random_image(rng, height, width, channels, smooth):
    shape = (height, width) if channels == 0 else (height, width, channels)
    image = rng.integers(0, 256, shape, dtype=np.uint8)
    # Few distinct levels make rounding ties (x.5 after weighting) likely, which a wrong
    # order of additions or rounding mode would get wrong.
    return (image // 64 * 60 + 3).astype(np.uint8) if smooth else image


@pytest.mark.parametrize("channels", [0, 1, 2, 3, 4])
def test_equals_opencv_on_random_sizes(channels):
    rng = np.random.default_rng(channels)
    for trial in range(150):
        size = int(rng.choice([16, 8, 5, 17, 2]))
        height, width = int(rng.integers(1, 420)), int(rng.integers(1, 420))
        image = random_image(rng, height, width, channels, smooth=trial % 3 == 0)
        expected = opencv_area(image, size)
        got = area_resize(image, size)
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected, err_msg=f"{image.shape} -> {size}")


@pytest.mark.parametrize("shape", [(457, 334, 3), (457, 334, 2), (204, 150, 3), (16, 16, 2), (48, 32, 3), (30, 10, 1)])
def test_face_sizes_and_the_sizes_opencv_treats_otherwise(shape):
    # Face crops at 1080p and 640x480; equal size, whole-number factors and enlarging
    # (those go to OpenCV itself).
    image = random_image(np.random.default_rng(sum(shape)), *shape, smooth=False)
    for size in (16, 8):
        np.testing.assert_array_equal(area_resize(image, size), opencv_area(image, size))


def test_crops_past_the_image_edges_equal_the_cut_copy():
    rng = np.random.default_rng(11)
    image = random_image(rng, 300, 400, 3, smooth=False)
    crops = [(-40, -25, 180, 260), (250, 120, 470, 390), (10, 20, 200, 300), (-5, 280, 30, 330), (390, -60, 450, 40)]
    for crop in crops:
        for size in (16, 8, 3):
            expected = opencv_area(cut(image, crop, replicate_edges=True), size)
            np.testing.assert_array_equal(area_resize_crop(image, crop, size), expected, err_msg=f"{crop} -> {size}")


def test_the_readers_degradation_is_opencv_area_and_blur():
    rng = np.random.default_rng(3)
    face = random_image(rng, 123, 97, 5, smooth=False)
    degraded, target = Degradation().apply(face)
    groups = [face[..., :3], np.ascontiguousarray(face[..., 3:])]
    targets = [np.atleast_3d(opencv_area(np.ascontiguousarray(g), 16)) for g in groups]
    blurred = [np.atleast_3d(cv2.GaussianBlur(opencv_area(t, 8), (3, 3), 1.5)) for t in targets]
    np.testing.assert_allclose(target, np.dstack(targets).transpose(2, 0, 1) / 255.0, rtol=0, atol=1e-6)
    np.testing.assert_allclose(degraded, np.dstack(blurred).transpose(2, 0, 1) / 255.0, rtol=0, atol=1e-6)
