"""Depth → colour registration on ray-cast scenes: geometry, holes, regions, IR, bad input."""

import cv2
import numpy as np
import pytest

from edge.frames import DistortionModel, Extrinsics, Intrinsics
from edge.processing.registration import DepthRegistration
from tests._processing_scenes import (
    COLOUR_640,
    COLOUR_1080,
    SR300_DEPTH,
    SR300_EXTRINSICS,
    SphereScene,
    make_frameset,
    rotation_xyz,
    true_depth_in_colour_mm,
)

DCAM_LIKE_COLOUR = Intrinsics(
    640, 480, 620.0, 620.0, 322.0, 238.0, DistortionModel.RATIONAL_8, (0.07, -0.14, 4e-4, 7e-4, 0.06, 0.0, 0.0, 0.0)
)


@pytest.mark.parametrize(
    "colour, extrinsics",
    [
        (COLOUR_640, SR300_EXTRINSICS),
        (COLOUR_1080, SR300_EXTRINSICS),
        (DCAM_LIKE_COLOUR, Extrinsics(rotation_xyz((-0.2, 0.3, -0.1)), (45.2, -0.6, 1.8))),
    ],
)
def test_full_registration_matches_the_ray_cast_truth_without_holes(colour, extrinsics):
    scene = SphereScene()
    fs = make_frameset(scene, colour_intr=colour, depth_to_colour=extrinsics)
    registered = DepthRegistration.from_frameset(fs).full(fs.depth_raw, fs.depth_scale_mm)
    truth = true_depth_in_colour_mm(fs.depth_intrinsics, colour, extrinsics, scene)
    valid = registered.depth_mm > 0
    # Only the occlusion shadow beside the sphere (which the depth camera cannot see) and the
    # colour image's rim outside the depth camera's view are empty.
    assert valid.mean() > 0.95
    error = np.abs(registered.depth_mm[valid] - truth[valid])
    assert np.median(error) < 0.1
    # Away from the sphere's silhouette (where a footprint straddles two surfaces) it is exact.
    assert np.percentile(error, 97) < 1.0


@pytest.mark.parametrize("colour", [COLOUR_640, COLOUR_1080, DCAM_LIKE_COLOUR])
def test_magnification_leaves_no_holes(colour):
    # A wall alone: no occlusion, so every colour pixel inside the depth camera's view gets depth
    # although the colour focal length is 1.3× (640×480) to 2.9× (1080p) the depth camera's.
    fs = make_frameset(SphereScene(centre_mm=(0, 0, 5000), radius_mm=1, wall_mm=900.0), colour_intr=colour)
    registered = DepthRegistration.from_frameset(fs).full(fs.depth_raw, fs.depth_scale_mm)
    h, w = colour.shape
    interior = registered.depth_mm[h // 10 : -h // 10, w // 10 : -w // 10]
    assert (interior > 0).all()


def test_nearest_surface_wins_where_footprints_overlap():
    scene = SphereScene(centre_mm=(0.0, 0.0, 500.0), radius_mm=60.0, wall_mm=900.0)
    fs = make_frameset(scene)
    registered = DepthRegistration.from_frameset(fs).full(fs.depth_raw, fs.depth_scale_mm)
    truth = true_depth_in_colour_mm(fs.depth_intrinsics, fs.colour_intrinsics, fs.depth_to_colour, scene)
    # Inside the sphere's silhouette (eroded by 2 px: librealsense's footprint rule sits half
    # a pixel off centre, and we follow it) the wall (900 mm) never shows through (440–500 mm).
    silhouette = cv2.erode((truth < 600).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    on_sphere = silhouette & (registered.depth_mm > 0)
    assert on_sphere.sum() > 5000
    assert registered.depth_mm[on_sphere].max() < 600


def test_ir_travels_with_the_depth_that_won():
    fs = make_frameset(holes_fraction=0.05)
    fs.ir = (fs.depth_raw % 251).astype(np.uint8)  # IR as a function of each pixel's depth code
    registered = DepthRegistration.from_frameset(fs).full(fs.depth_raw, fs.depth_scale_mm, fs.ir)
    valid = registered.depth_mm > 0
    raw_back = np.rint(registered.depth_mm / fs.depth_scale_mm).astype(np.int64)
    np.testing.assert_array_equal(registered.ir[valid], (raw_back[valid] % 251).astype(np.uint8))
    assert registered.ir.dtype == np.uint8 and (registered.ir[~valid] == 0).all()


@pytest.mark.parametrize(
    "box",
    [
        (250.0, 170.0, 400.0, 320.0),  # a face
        (220.3, 140.7, 420.2, 340.9),  # 200×200, fractional edges
        (-40.0, -30.0, 90.0, 100.0),  # partly outside, top left
        (560.0, 400.0, 700.0, 520.0),  # partly outside, bottom right
        (0.0, 0.0, 640.0, 480.0),  # everything
    ],
)
@pytest.mark.parametrize("colour", [COLOUR_640, COLOUR_1080])
def test_region_equals_full_frame_inside_the_region(box, colour):
    sx, sy = colour.width_px / 640.0, colour.height_px / 480.0
    box = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)
    fs = make_frameset(colour_intr=colour, holes_fraction=0.03, seed=5)
    registration = DepthRegistration.from_frameset(fs)
    full = registration.full(fs.depth_raw, fs.depth_scale_mm, fs.ir)
    region = registration.region(fs.depth_raw, fs.depth_scale_mm, box, fs.ir)
    x0, y0, x1, y1 = region.window_xyxy_px
    assert x0 == max(int(np.floor(box[0])), 0) and x1 == min(int(np.ceil(box[2])), colour.width_px)
    assert y0 == max(int(np.floor(box[1])), 0) and y1 == min(int(np.ceil(box[3])), colour.height_px)
    assert (region.depth_mm > 0).mean() > 0.5
    np.testing.assert_array_equal(region.depth_mm, full.depth_mm[y0:y1, x0:x1])
    np.testing.assert_array_equal(region.ir, full.ir[y0:y1, x0:x1])


def test_region_registers_only_the_depth_pixels_that_can_land_in_it():
    fs = make_frameset()
    registration = DepthRegistration.from_frameset(fs)
    window = registration.colour_window((220, 140, 420, 340))
    near = registration.depth_window(window, registration.min_depth_mm)
    tight = registration.depth_window(window, 500.0)
    area = lambda w: (w[2] - w[0]) * (w[3] - w[1])  # noqa: E731
    # A 200×200 colour box is about 155×155 depth pixels plus the parallax of the depth range.
    assert area(tight) < 0.12 * 640 * 480
    assert area(tight) < area(near)
    assert tight[0] >= near[0] and tight[2] <= near[2]


def test_closer_than_the_minimum_depth_is_invalid():
    fs = make_frameset(SphereScene(centre_mm=(0.0, 0.0, 180.0), radius_mm=40.0, wall_mm=400.0))
    registered = DepthRegistration.from_frameset(fs, min_depth_mm=150.0).full(fs.depth_raw, fs.depth_scale_mm)
    valid = registered.depth_mm[registered.depth_mm > 0]
    assert valid.min() >= 150.0
    assert (valid > 390).mean() > 0.9  # the wall is still there


def test_all_zero_depth_registers_to_all_zero():
    fs = make_frameset()
    registration = DepthRegistration.from_frameset(fs)
    empty = np.zeros_like(fs.depth_raw)
    assert not registration.full(empty, 0.125).depth_mm.any()
    assert not registration.region(empty, 0.125, (10, 10, 100, 100)).depth_mm.any()


@pytest.mark.parametrize(
    "depth, scale, ir, message",
    [
        (np.zeros((480, 640), np.float32), 0.125, None, "depth_raw must be a 480×640 uint16"),
        (np.zeros((240, 320), np.uint16), 0.125, None, "depth_raw must be a 480×640 uint16"),
        (np.zeros((480, 640), np.uint16), float("nan"), None, "depth_scale_mm must be a positive number"),
        (np.zeros((480, 640), np.uint16), -1.0, None, "depth_scale_mm must be a positive number"),
        (np.zeros((480, 640), np.uint16), 0.125, np.zeros((480, 640), np.float32), "ir must be a 480×640"),
        (np.zeros((480, 640), np.uint16), 0.125, np.zeros((480, 320), np.uint8), "ir must be a 480×640"),
    ],
)
def test_bad_arrays_are_rejected_with_the_field_named(depth, scale, ir, message):
    registration = DepthRegistration(SR300_DEPTH, COLOUR_640, SR300_EXTRINSICS)
    with pytest.raises(ValueError, match=message):
        registration.full(depth, scale, ir)
    with pytest.raises(ValueError, match=message):
        registration.region(depth, scale, (10, 10, 50, 50), ir)


@pytest.mark.parametrize(
    "box, message",
    [
        ((10, 10, 5, 50), "x0 < x1"),
        ((10, float("nan"), 50, 50), "finite"),
        ((1, 2, 3), "4 finite numbers"),
        ((700, 10, 800, 50), "wholly outside"),
        ((-90, -90, -10, -10), "wholly outside"),
    ],
)
def test_bad_boxes_are_rejected(box, message):
    registration = DepthRegistration(SR300_DEPTH, COLOUR_640, SR300_EXTRINSICS)
    with pytest.raises(ValueError, match=message):
        registration.region(np.zeros((480, 640), np.uint16), 0.125, box)


def test_colour_axis_depth_moves_values_by_the_extrinsics():
    extrinsics = Extrinsics(translation_mm=(0.0, 0.0, 10.0))
    fs = make_frameset(SphereScene(centre_mm=(0, 0, 5000), radius_mm=1, wall_mm=800.0), depth_to_colour=extrinsics)
    registration = DepthRegistration.from_frameset(fs)
    registered = registration.full(fs.depth_raw, fs.depth_scale_mm)
    colour_z = registration.colour_axis_depth_mm(registered)
    valid = registered.depth_mm > 0
    # A wall 800 mm from the depth camera is 810 mm from a colour camera 10 mm behind it.
    np.testing.assert_allclose(registered.depth_mm[valid], 800.0, atol=0.07)
    np.testing.assert_allclose(colour_z[valid], 810.0, atol=0.07)


def test_an_inverse_colour_lens_is_refused():
    lens = Intrinsics(640, 480, 600, 600, 320, 240, DistortionModel.INVERSE_BROWN_CONRADY, (0.1, 0, 0, 0, 0))
    with pytest.raises(ValueError, match="inverse Brown-Conrady colour lens"):
        DepthRegistration(SR300_DEPTH, lens, SR300_EXTRINSICS)
