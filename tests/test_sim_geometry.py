"""Registered depth lands on the face truth says, at the depth truth says (both cameras)."""

import numpy as np
import pytest

from camera_plugins.sim.scene import FaceSpec, Scene
from tests._sim_fixtures import renderer, in_box, near, register

CASES = [("sr300", "640x480"), ("dcam710", "640x480"), ("sr300", "1920x1080"), ("dcam710", "1920x1080")]


@pytest.mark.parametrize("camera,resolution", CASES)
def test_registered_depth_matches_truth_in_colour_geometry(camera, resolution):
    sim = renderer(camera, resolution)
    spec = FaceSpec("live", identity=5, distance_mm=650.0, position=(0.42, 0.45), yaw_deg=20.0, pitch_deg=-5.0)
    fs = sim.render(Scene((spec,)), 0)
    (face,) = fs.truth.faces
    reg = register(fs)
    on_face = in_box(reg, face.box_xywh_px, shrink=0.15)
    assert on_face.sum() > 300, "too few depth pixels land inside the face box"
    u = np.clip(np.rint(reg.colour_uv[on_face, 0]).astype(int), 0, fs.colour_intrinsics.width_px - 1)
    v = np.clip(np.rint(reg.colour_uv[on_face, 1]).astype(int), 0, fs.colour_intrinsics.height_px - 1)
    truth_z = fs.truth.depth_in_colour_mm[v, u]
    error = np.abs(reg.colour_z_mm[on_face] - truth_z)
    # Sensor noise (ToF is the noisier) and one-pixel slopes on the relief; a wrong lens model or
    # extrinsic shifts the face by many pixels and makes these errors tens of millimetres.
    tolerance = 4.0 if camera == "sr300" else 10.0
    assert np.median(error) < tolerance
    assert np.percentile(error, 80) < 3 * tolerance


@pytest.mark.parametrize("camera", ["sr300", "dcam710"])
def test_nearest_registered_point_is_the_truth_nose_tip(camera):
    sim = renderer(camera)
    spec = FaceSpec("live", identity=8, distance_mm=600.0, position=(0.6, 0.5))
    fs = sim.render(Scene((spec,)), 0)
    (face,) = fs.truth.faces
    reg = register(fs)
    on_face = in_box(reg, face.box_xywh_px)
    z = reg.colour_z_mm[on_face]
    closest = np.argsort(z)[:15]
    nose_uv = np.median(reg.colour_uv[on_face][closest], axis=0)
    assert np.hypot(*(nose_uv - face.landmarks_px[2])) < 6.0
    assert abs(np.median(z[closest]) - spec.distance_mm) < 8.0
    assert near(reg, face.landmarks_px[2], 3.0).any()


def test_face_box_and_landmarks_follow_the_spec():
    sim = renderer("sr300")
    near_face = sim.render(Scene((FaceSpec(distance_mm=500.0, position=(0.5, 0.45)),)), 0).truth.faces[0]
    far_face = sim.render(Scene((FaceSpec(distance_mm=1000.0, position=(0.5, 0.45)),)), 0).truth.faces[0]
    assert near_face.box_xywh_px[2] == pytest.approx(2 * far_face.box_xywh_px[2], rel=0.05)
    nose = near_face.landmarks_px[2]
    assert nose == pytest.approx((320.0, 216.0), abs=0.5)  # position × image size
    right_eye, left_eye = near_face.landmarks_px[0], near_face.landmarks_px[1]
    assert right_eye[0] < nose[0] < left_eye[0]
    x, y, w, h = near_face.box_xywh_px
    assert all(x <= px <= x + w and y <= py <= y + h for px, py in near_face.landmarks_px)
