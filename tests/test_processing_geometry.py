"""Pixel ↔ point geometry against the two real references: librealsense 2.54 and OpenCV."""

import cv2
import numpy as np
import pyrealsense2 as rs
import pytest

from edge.frames import DistortionModel, Extrinsics, Intrinsics
from edge.processing.geometry import (
    deproject,
    pixel_corner_rays,
    pixel_rays,
    pixel_to_normalised,
    project,
    transfer_pixels,
)

# Coefficients as large as real SR300/DCAM710 lenses have, so a wrong formula shows.
BC5 = (0.14, -0.06, 0.004, -0.003, 0.02)
RATIONAL8 = (0.3, -0.1, 0.002, 0.001, 0.05, 0.25, -0.05, 0.03)

RS_MODEL = {
    DistortionModel.NONE: rs.distortion.none,
    DistortionModel.BROWN_CONRADY: rs.distortion.brown_conrady,
    DistortionModel.INVERSE_BROWN_CONRADY: rs.distortion.inverse_brown_conrady,
}


def make_intrinsics(model, coeffs):
    return Intrinsics(640, 480, 474.5, 476.0, 311.2, 246.7, model, coeffs)


def rs_intrinsics(intr: Intrinsics) -> rs.intrinsics:
    i = rs.intrinsics()
    i.width, i.height = intr.width_px, intr.height_px
    i.fx, i.fy, i.ppx, i.ppy = intr.fx_px, intr.fy_px, intr.cx_px, intr.cy_px
    i.model = RS_MODEL[intr.model]
    i.coeffs = list(intr.coeffs) if intr.coeffs else [0.0] * 5
    return i


def sample_pixels():
    v, u = np.mgrid[0:480:37, 0:640:41].astype(np.float64)
    return u.ravel(), v.ravel()


@pytest.mark.parametrize(
    "model, coeffs", [(DistortionModel.NONE, ()), (DistortionModel.BROWN_CONRADY, BC5)]
)
def test_deproject_and_project_agree_with_librealsense(model, coeffs):
    intr = make_intrinsics(model, coeffs)
    ri = rs_intrinsics(intr)
    u, v = sample_pixels()
    z = np.linspace(250.0, 1400.0, u.size)
    ours = deproject(intr, u, v, z)
    theirs = np.array([rs.rs2_deproject_pixel_to_point(ri, [a, b], c) for a, b, c in zip(u, v, z)])
    # librealsense computes in float32: agree to 1e-5 of the depth.
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5 * 1400)
    px = project(intr, ours)
    theirs_px = np.array([rs.rs2_project_point_to_pixel(ri, list(p)) for p in ours])
    np.testing.assert_allclose(px, theirs_px, atol=2e-3)


@pytest.mark.parametrize(
    "model, coeffs", [(DistortionModel.BROWN_CONRADY, BC5), (DistortionModel.RATIONAL_8, RATIONAL8)]
)
def test_project_and_undistort_agree_with_opencv(model, coeffs):
    intr = make_intrinsics(model, coeffs)
    rng = np.random.default_rng(3)
    points = np.column_stack(
        [rng.uniform(-300, 300, 200), rng.uniform(-220, 220, 200), rng.uniform(300, 1500, 200)]
    )
    cv_px, _ = cv2.projectPoints(points, np.zeros(3), np.zeros(3), intr.camera_matrix(), intr.distortion_vector())
    np.testing.assert_allclose(project(intr, points), cv_px.reshape(-1, 2), atol=1e-6)

    u, v = sample_pixels()
    pix = np.column_stack([u, v]).reshape(-1, 1, 2)
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-12)
    cv_xy = cv2.undistortPoints(pix, intr.camera_matrix(), intr.distortion_vector(), criteria=criteria)
    x, y = pixel_to_normalised(intr, u, v)
    np.testing.assert_allclose(np.column_stack([x, y]), cv_xy.reshape(-1, 2), atol=1e-7)


def test_inverse_brown_conrady_deprojects_with_the_closed_form_polynomial():
    """Distorted → ideal is OpenCV's polynomial applied to the distorted point, which is what
    cv2.projectPoints computes for the point (x_d, y_d, 1) through an identity camera. (rs.align
    uses this model; test_processing_registration_sdk checks the registration against it.)"""
    intr = make_intrinsics(DistortionModel.INVERSE_BROWN_CONRADY, BC5)
    u, v = sample_pixels()
    xd, yd = (u - intr.cx_px) / intr.fx_px, (v - intr.cy_px) / intr.fy_px
    distorted_points = np.column_stack([xd, yd, np.ones_like(xd)])
    ideal, _ = cv2.projectPoints(distorted_points, np.zeros(3), np.zeros(3), np.eye(3), intr.distortion_vector())
    x, y = pixel_to_normalised(intr, u, v)
    np.testing.assert_allclose(np.column_stack([x, y]), ideal.reshape(-1, 2), atol=1e-9)


@pytest.mark.parametrize("model", list(DistortionModel))
def test_project_inverts_deproject_for_every_model(model):
    coeffs = {DistortionModel.NONE: (), DistortionModel.RATIONAL_8: RATIONAL8}.get(model, BC5)
    intr = make_intrinsics(model, coeffs)
    u, v = sample_pixels()
    back = project(intr, deproject(intr, u, v, 900.0))
    np.testing.assert_allclose(back, np.column_stack([u, v]), atol=1e-6)


def test_distortion_changes_the_ray():
    u, v = np.array([5.0]), np.array([7.0])
    plain = deproject(make_intrinsics(DistortionModel.NONE, ()), u, v, 1000.0)
    lens = deproject(make_intrinsics(DistortionModel.INVERSE_BROWN_CONRADY, BC5), u, v, 1000.0)
    assert np.abs(plain - lens).max() > 10.0


def test_ray_tables_are_cached_read_only_and_consistent():
    intr = make_intrinsics(DistortionModel.INVERSE_BROWN_CONRADY, BC5)
    rays = pixel_rays(intr)
    assert rays is pixel_rays(intr)
    assert rays.shape == (480, 640, 2) and not rays.flags.writeable
    x, y = pixel_to_normalised(intr, 123.0, 45.0)
    np.testing.assert_allclose(rays[45, 123], [x, y])
    corners = pixel_corner_rays(intr)
    assert corners.shape == (481, 641, 2)
    np.testing.assert_allclose(corners[45, 123], pixel_to_normalised(intr, 122.5, 44.5))
    np.testing.assert_allclose(corners[46, 124], pixel_to_normalised(intr, 123.5, 45.5))


def test_transfer_pixels_follows_the_baseline():
    depth = make_intrinsics(DistortionModel.NONE, ())
    colour = Intrinsics(640, 480, 600.0, 600.0, 320.0, 240.0)
    shift = Extrinsics(translation_mm=(25.0, 0.0, 0.0))
    near = transfer_pixels(depth, colour, shift, 311.2, 246.7, 500.0)
    far = transfer_pixels(depth, colour, shift, 311.2, 246.7, 2000.0)
    # Disparity f·b/z: 600·25/500 = 30 px near, 7.5 px far.
    np.testing.assert_allclose(near, [320.0 + 30.0, 240.0], atol=1e-9)
    np.testing.assert_allclose(far, [320.0 + 7.5, 240.0], atol=1e-9)


def test_project_rejects_points_that_are_not_three_vectors():
    with pytest.raises(ValueError, match="points_mm"):
        project(make_intrinsics(DistortionModel.NONE, ()), np.zeros((4, 2)))
