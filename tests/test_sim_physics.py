"""Sensor physics by principle: relief of live faces vs prints, IR of screens, coded light vs ToF."""

import numpy as np
import pytest

from camera_plugins.sim.camera_models import CAMERA_MODELS
from camera_plugins.sim.scene import FaceSpec, Lighting, Scene
from camera_plugins.sim.sensors import projector_shadow
from tests._sim_fixtures import renderer, in_box, near, register


def _nose_to_cheek_mm(fs) -> float:
    """Median cheek depth minus nose-tip depth, both found through the reference registration."""
    (face,) = fs.truth.faces
    reg = register(fs)
    eye_r, eye_l, nose, mouth_r, mouth_l = (np.asarray(p) for p in face.landmarks_px)
    eye_gap = np.linalg.norm(eye_l - eye_r)
    radius = 0.08 * eye_gap
    nose_z = np.median(reg.colour_z_mm[near(reg, nose, radius)])
    cheeks = []
    for eye, mouth, outward in ((eye_r, mouth_r, -1), (eye_l, mouth_l, 1)):
        cheek = eye + 0.55 * (mouth - eye) + np.array([outward * 0.2 * eye_gap, 0.0])
        cheeks.append(np.median(reg.colour_z_mm[near(reg, cheek, 1.5 * radius)]))
    return float(np.mean(cheeks) - nose_z)


@pytest.mark.parametrize("camera", ["sr300", "dcam710"])
@pytest.mark.parametrize("identity", [0, 1, 2, 3])
def test_live_face_has_facial_relief(camera, identity):
    fs = renderer(camera).render(
        Scene((FaceSpec("live", identity=identity, distance_mm=550.0),)), 0)
    assert 15.0 <= _nose_to_cheek_mm(fs) <= 40.0


@pytest.mark.parametrize("camera", ["sr300", "dcam710"])
def test_flat_print_has_no_relief(camera):
    fs = renderer(camera).render(Scene((FaceSpec("print_colour", identity=1, distance_mm=550.0),)), 0)
    assert abs(_nose_to_cheek_mm(fs)) < 5.0


@pytest.mark.parametrize("camera", ["sr300", "dcam710"])
def test_screen_is_darker_in_ir_than_skin_at_the_same_distance(camera):
    sim = renderer(camera)
    live = sim.render(Scene((FaceSpec("live", identity=4, distance_mm=600.0),)), 0)
    screen = sim.render(Scene((FaceSpec("screen", identity=4, distance_mm=600.0),)), 0)
    # Same geometry, so the same IR pixels: those the live face's depth registers into its box.
    reg = register(live)
    box = in_box(reg, live.truth.faces[0].box_xywh_px, shrink=0.2)
    u, v = reg.depth_uv[box].T
    skin_ir = np.median(live.ir[v, u].astype(float))
    screen_ir = np.median(screen.ir[v, u].astype(float))
    assert screen_ir < 0.35 * skin_ir


def test_coded_light_loses_the_screen_but_not_skin():
    sim = renderer("sr300")
    live = sim.render(Scene((FaceSpec("live", identity=4, distance_mm=600.0),)), 0)
    screen = sim.render(Scene((FaceSpec("screen", identity=4, distance_mm=600.0),)), 0)
    reg = register(live)
    u, v = reg.depth_uv[in_box(reg, live.truth.faces[0].box_xywh_px, shrink=0.2)].T
    assert (live.depth_raw[v, u] > 0).mean() > 0.9
    assert (screen.depth_raw[v, u] > 0).mean() < 0.3


def test_tof_noise_grows_with_distance_and_coded_light_is_more_precise():
    def flat_noise(camera, distance):
        fs = renderer(camera).render(Scene((FaceSpec("print_bw", identity=1, distance_mm=distance),)), 0)
        d = fs.depth_mm()
        h, w = d.shape
        patch = d[h // 2 - 12:h // 2 + 12, w // 2 - 12:w // 2 + 12].astype(float)
        patch = patch[patch > 0]
        return np.std(patch - np.median(patch))

    assert flat_noise("dcam710", 1100.0) > 1.5 * flat_noise("dcam710", 500.0)
    assert flat_noise("sr300", 800.0) < 0.5 * flat_noise("dcam710", 800.0)


def test_tof_has_flying_pixels_at_depth_edges_and_coded_light_does_not():
    scene = Scene((FaceSpec("print_bw", identity=1, distance_mm=600.0),))
    counts = {}
    for camera in ("sr300", "dcam710"):
        d = renderer(camera).render(scene, 0).depth_mm()
        # The attacker's body is ~950 mm away behind the sheet at ~600 mm: nothing real lies between.
        counts[camera] = int(((d > 660) & (d < 880)).sum())
    assert counts["dcam710"] > 30
    assert counts["sr300"] < 5


def test_projector_shadow_falls_beside_a_near_object():
    model = CAMERA_MODELS["sr300"]
    f = model.depth_intrinsics.fx_px
    z = np.full((4, 200), 1000.0, np.float32)
    z[:, 100:140] = 500.0
    ray_x = np.tile(((np.arange(200) - 100) / f).astype(np.float32), (4, 1))
    shadow = projector_shadow(z, ray_x, model.illuminator_baseline_mm)
    columns = np.flatnonzero(shadow[0])
    expected_width = f * model.illuminator_baseline_mm * (1 / 500 - 1 / 1000)
    assert columns.max() == 99 and abs(len(columns) - expected_width) <= 1.5
    assert not shadow[:, 100:].any()


def test_low_light_darkens_colour_but_not_ir():
    sim = renderer("sr300")
    face = FaceSpec("live", identity=6, distance_mm=600.0)
    normal = sim.render(Scene((face,), Lighting.NORMAL), 0)
    low = sim.render(Scene((face,), Lighting.LOW), 0)
    assert low.colour_bgr.mean() < 0.5 * normal.colour_bgr.mean()
    assert abs(float(low.ir.mean()) - float(normal.ir.mean())) < 0.02 * float(normal.ir.mean()) + 0.5
