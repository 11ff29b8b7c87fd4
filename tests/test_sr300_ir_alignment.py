"""IR follows depth aligned to colour (camera_plugins/sr300/ir_alignment.py): on a wall seen by
the simulated SR300, each colour pixel gets the IR of the depth pixel its ray meets, and wrong
shapes are refused."""

from __future__ import annotations

import numpy as np
import pytest

from camera_plugins.sim.camera_models import SR300
from camera_plugins.sr300.ir_alignment import IrToColour
from edge.frames import Extrinsics
from edge.processing.geometry import transfer_pixels
from edge.processing.registration import DepthRegistration


@pytest.mark.parametrize("resolution", ["640x480", "1920x1080"])
def test_each_colour_pixel_gets_the_ir_of_the_depth_pixel_it_sees(resolution):
    """A wall at 0.7 m: IR holding each depth pixel's column (and row) must come back as the
    column (row) where the colour pixel's ray meets the wall, computed independently with
    edge.processing.geometry (float64, iterative lens inversion)."""
    colour = SR300.colour_intrinsics(resolution)
    depth_raw = np.full((480, 640), int(700 / SR300.depth_scale_mm), np.uint16)
    depth_raw[:, :40] = 0  # a hole: no depth, so no IR either
    registration = DepthRegistration(SR300.depth_intrinsics, colour, SR300.depth_to_colour)
    registered = registration.full(depth_raw, SR300.depth_scale_mm)
    mapper = IrToColour(SR300.depth_intrinsics, colour, SR300.depth_to_colour)
    rows, cols = np.mgrid[0:480, 0:640].astype(np.uint16)
    mapped_cols, mapped_rows = mapper.map(registered.depth_mm, cols), mapper.map(registered.depth_mm, rows)

    has_depth = registered.depth_mm > 0
    assert not mapped_cols[~has_depth].any() and has_depth.mean() > 0.5
    v, u = np.nonzero(has_depth)
    z_colour_mm = registration.colour_axis_depth_mm(registered)[v, u]
    e = SR300.depth_to_colour
    colour_to_depth = Extrinsics(tuple(e.rotation_matrix().T.ravel()),
                                 tuple(-(e.rotation_matrix().T @ e.translation_vector_mm())))
    expected = transfer_pixels(colour, SR300.depth_intrinsics, colour_to_depth, u, v, z_colour_mm)
    inside = (expected[:, 0] > 0) & (expected[:, 0] < 639) & (expected[:, 1] > 0) & (expected[:, 1] < 479)
    got = np.stack([mapped_cols[v, u], mapped_rows[v, u]], axis=1).astype(float)
    error_px = np.abs(got - np.rint(expected))[inside]
    assert error_px.max() <= 1 and (error_px == 0).all(axis=1).mean() > 0.99


def test_wrong_shapes_are_refused():
    mapper = IrToColour(SR300.depth_intrinsics, SR300.colour_intrinsics("640x480"), SR300.depth_to_colour)
    with pytest.raises(ValueError, match="aligned depth"):
        mapper.map(np.zeros((10, 10), np.float32), np.zeros((480, 640), np.uint8))
    with pytest.raises(ValueError, match="ir is"):
        mapper.map(np.zeros((480, 640), np.float32), np.zeros((10, 10), np.uint8))
