"""Raw encodings: SR300 depth in 1/8 mm units; DCAM710 millimetres with 0xFFFF for no depth."""

import numpy as np

from camera_plugins.sim.camera_models import CAMERA_MODELS
from tests._sim_fixtures import renderer
from camera_plugins.sim.scene import FaceSpec, Scene

FLAT_PRINT_AT_700 = Scene((FaceSpec("print_bw", identity=2, distance_mm=700.0, position=(0.5, 0.5)),))


def _centre_patch(a: np.ndarray) -> np.ndarray:
    h, w = a.shape
    return a[h // 2 - 10:h // 2 + 10, w // 2 - 10:w // 2 + 10]


def test_sr300_raw_depth_times_scale_is_millimetres():
    sim = renderer("sr300")
    raw = sim.render_raw(FLAT_PRINT_AT_700, 0)
    fs = sim.render(FLAT_PRINT_AT_700, 0)
    assert raw.depth_raw.dtype == np.uint16 and fs.depth_scale_mm == 0.125
    np.testing.assert_array_equal(fs.depth_raw, raw.depth_raw)  # SR300 already uses 0 for no depth
    patch = _centre_patch(raw.depth_raw).astype(np.float64)
    # The sheet is ~700 mm away: raw units are eighths of a millimetre, so ~5600.
    assert 5560 < np.median(patch) < 5640
    assert np.median(patch) * fs.depth_scale_mm == np.median(_centre_patch(fs.depth_mm()))
    assert fs.ir.dtype == np.uint8 and fs.ir_full_scale == 255


def test_dcam710_invalid_code_before_the_plugin_and_zero_after():
    sim = renderer("dcam710")
    raw = sim.render_raw(FLAT_PRINT_AT_700, 0)
    fs = sim.render(FLAT_PRINT_AT_700, 0)
    invalid = raw.depth_raw == 0xFFFF
    assert invalid.mean() > 0.05, "the wall beyond range should read as invalid"
    assert not (fs.depth_raw == 0xFFFF).any()
    np.testing.assert_array_equal(fs.depth_raw[invalid], 0)
    np.testing.assert_array_equal(fs.depth_raw[~invalid], raw.depth_raw[~invalid])
    assert fs.depth_scale_mm == 1.0
    assert 685 < np.median(_centre_patch(raw.depth_raw)) < 715
    assert fs.ir.dtype == np.uint16 and fs.ir_full_scale == 3840 and fs.ir.max() <= 3840


def test_camera_models_have_the_real_stream_geometry():
    sr300, dcam = CAMERA_MODELS["sr300"], CAMERA_MODELS["dcam710"]
    assert sr300.depth_intrinsics.model.value == "inverse_brown_conrady"
    assert dcam.depth_intrinsics.model.value == "rational_8" and len(dcam.depth_intrinsics.coeffs) == 8
    assert sr300.colour_intrinsics("640x480").model.value == "none"
    for model in (sr300, dcam):
        assert model.depth_intrinsics.shape == (480, 640)
        assert model.colour_intrinsics("1920x1080").shape == (1080, 1920)
        baseline = np.linalg.norm(model.depth_to_colour.translation_vector_mm())
        assert 15 < baseline < 60
        r = model.depth_to_colour.rotation_matrix()
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-9)
        assert model.range_mm[0] <= 400 and model.range_mm[1] >= 1200
    assert dcam.invalid_depth_code == 0xFFFF and sr300.depth_scale_mm == 0.125
