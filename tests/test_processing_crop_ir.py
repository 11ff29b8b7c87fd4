"""The 1.3× portrait crop with border padding, and uniform IR quantisation."""

import numpy as np
import pytest

from edge.processing.crop import clip_box, cut, paste, widen_box
from edge.processing.ir import quantise_ir


def test_widen_box_scales_about_the_centre_and_rounds_outward():
    assert widen_box((100, 100, 200, 300), 1.3) == (85, 70, 215, 330)
    assert widen_box((10.4, 20.6, 50.2, 60.1), 1.0) == (10, 20, 51, 61)


def test_cut_pads_outside_the_image():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    zero = cut(image, (-1, -1, 2, 2), replicate_edges=False)
    np.testing.assert_array_equal(zero, [[0, 0, 0], [0, 0, 1], [0, 4, 5]])
    edge = cut(image, (-1, -1, 2, 2), replicate_edges=True)
    np.testing.assert_array_equal(edge, [[0, 0, 1], [0, 0, 1], [4, 4, 5]])
    colour = np.dstack([image, image + 100, image + 200])
    assert cut(colour, (2, 1, 6, 3), replicate_edges=True).shape == (2, 4, 3)
    assert not cut(image, (10, 10, 12, 12), replicate_edges=False).any()


def test_paste_places_a_window_in_its_box():
    out = paste(np.ones((2, 2), np.float32), (5, 5, 7, 7), (4, 4, 8, 8))
    assert out.shape == (4, 4) and out.sum() == 4 and out[1:3, 1:3].all()
    assert clip_box((-5, -5, 3, 3), 10, 10) == (0, 0, 3, 3)
    assert clip_box((11, 0, 20, 5), 10, 10) is None


def test_ir_is_quantised_uniformly_from_full_scale():
    ir16 = np.array([[0, 1920, 3840, 4095]], np.uint16)
    np.testing.assert_array_equal(quantise_ir(ir16, 3840), [[0, 128, 255, 255]])
    ir8 = np.array([[0, 17, 255]], np.uint8)
    np.testing.assert_array_equal(quantise_ir(ir8, 255), ir8)
    # A dark scene stays dark: the scale is the sensor's, not the frame's maximum.
    assert quantise_ir(np.full((2, 2), 384, np.uint16), 3840).max() == 26


@pytest.mark.parametrize(
    "ir, full_scale, named",
    [(np.zeros((2, 2), np.float32), 255, "uint8 or uint16"), (np.zeros((2, 2), np.uint8), 1000, "full_scale")],
)
def test_bad_ir_is_refused(ir, full_scale, named):
    with pytest.raises(ValueError, match=named):
        quantise_ir(ir, full_scale)
