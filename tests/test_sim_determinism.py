"""Frame k depends only on (options, k); seeds change who is in the scene."""

import numpy as np

from camera_plugins.sim import SimCamera, SimOptions
from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scenarios import demo_scene, random_scene
from camera_plugins.sim.scene import FaceSpec, Scene


def _arrays(fs):
    return fs.colour_bgr, fs.depth_raw, fs.ir, fs.truth.depth_in_colour_mm


def test_same_seed_renders_identical_frames_in_any_order():
    scene = Scene((FaceSpec("live", identity=9, distance_mm=700.0, yaw_deg=10.0),))
    a = SimRenderer("dcam710", seed=4)
    b = SimRenderer("dcam710", seed=4)
    first = a.render(scene, 7)
    a.render(scene, 3)  # rendering other frames in between changes nothing
    for x, y in zip(_arrays(first), _arrays(b.render(scene, 7))):
        np.testing.assert_array_equal(x, y)
    assert first.truth == b.render(scene, 7).truth
    # Sensor noise differs from frame to frame.
    assert not np.array_equal(first.depth_raw, a.render(scene, 8).depth_raw)


def test_different_seed_changes_the_noise():
    scene = Scene((FaceSpec("live", identity=9, distance_mm=700.0),))
    assert not np.array_equal(SimRenderer("sr300", seed=1).render(scene, 0).depth_raw,
                              SimRenderer("sr300", seed=2).render(scene, 0).depth_raw)


def test_different_seeds_bring_different_identities():
    identities = {random_scene(np.random.default_rng(seed)).faces[0].identity for seed in range(8)}
    assert len(identities) >= 7
    cams = [SimCamera("c", SimOptions(scenario="random", seed=s, paced=False)) for s in (0, 1)]
    assert cams[0].scene_at(0).faces[0].identity != cams[1].scene_at(0).faces[0].identity
    assert cams[0].scene_at(0) == SimCamera("c", SimOptions(scenario="random", seed=0)).scene_at(0)


def test_identities_differ_in_appearance():
    scene = lambda identity: Scene((FaceSpec("live", identity=identity, distance_mm=600.0),))  # noqa: E731
    r = SimRenderer("sr300")
    one, two = r.render(scene(1), 0), r.render(scene(2), 0)
    x, y, w, h = (int(v) for v in one.truth.faces[0].box_xywh_px)
    diff = np.abs(one.colour_bgr[y:y + h, x:x + w].astype(int) - two.colour_bgr[y:y + h, x:x + w].astype(int))
    assert diff.mean() > 10


def test_demo_timeline_is_a_pure_function_of_time_and_loops():
    assert demo_scene(0, 30.0) == Scene()  # the demo opens on an empty room
    assert demo_scene(400, 30.0) == demo_scene(400 + 1800, 30.0)
    kinds = {f.presentation.value for k in range(0, 1800, 15) for f in demo_scene(k, 30.0).faces}
    assert kinds == {"live", "print_colour", "print_bw", "screen", "mask_3d"}
    assert max(len(demo_scene(k, 30.0).faces) for k in range(0, 1800, 15)) == 2
    assert {demo_scene(k, 30.0).lighting.value for k in range(0, 1800, 15)} == {"normal", "low"}
