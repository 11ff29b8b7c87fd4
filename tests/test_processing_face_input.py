"""The whole per-face path on simulated frames: relief, holes, units, bad data, batches."""

import dataclasses
import functools

import numpy as np
import pytest

from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scene import FaceSpec, Presentation, Scene
from edge.frames import Geometry
from edge.processing.face_input import FaceInput, NotEnoughData, prepare_face, to_batch
from edge.processing.registration import DepthRegistration
from edge.processing.spec import PreprocessSpec

#: Live relief margin: the nose tip at least 30 levels (13 mm at Alg. 2's 0.45 mm a level,
#: 0.118 after /255) brighter than either cheek in the 16×16 target. Real noses stand
#: 15–40 mm proud of the cheeks; the simulator's measure 21–24 mm here.
LIVE_MARGIN_LEVELS = 30
#: A flat print: nose and cheeks within 6 levels (2.7 mm) of each other.
FLAT_TOLERANCE_LEVELS = 6


@functools.lru_cache(maxsize=16)
def sim(camera: str, presentation: Presentation = Presentation.LIVE, distance_mm: float = 600.0):
    scene = Scene(faces=(FaceSpec(presentation, distance_mm=distance_mm),))
    return SimRenderer(camera, "640x480", seed=1).render(scene, 0)


def box_of(fs):
    x, y, w, h = fs.truth.faces[0].box_xywh_px
    return (x, y, x + w, y + h)


def depth_level_at(face: FaceInput, point_px) -> int:
    """The 16×16 target's depth level under a colour-image point."""
    x0, y0, x1, y1 = face.crop_box_xyxy_px
    n = face.target.shape[-1]
    col = round((point_px[0] - x0) / (x1 - x0) * n - 0.5)
    row = round((point_px[1] - y0) / (y1 - y0) * n - 0.5)
    return int(face.target[3, row, col])


def nose_and_cheeks(fs, face: FaceInput):
    right_eye, left_eye, nose, right_mouth, left_mouth = fs.truth.faces[0].landmarks_px
    eye_gap = abs(left_eye[0] - right_eye[0])
    cheeks = [
        (eye[0] + 0.6 * (mouth[0] - eye[0]) + side * 0.25 * eye_gap, eye[1] + 0.6 * (mouth[1] - eye[1]))
        for eye, mouth, side in ((right_eye, right_mouth, -1), (left_eye, left_mouth, 1))
    ]
    return depth_level_at(face, nose), [depth_level_at(face, c) for c in cheeks]


@pytest.mark.parametrize("camera", ["sr300", "dcam710"])
@pytest.mark.parametrize("algorithm", ["alg1", "alg2"])
def test_a_live_face_keeps_its_relief(camera, algorithm):
    fs = sim(camera)
    face = prepare_face(fs, box_of(fs), PreprocessSpec(depth_algorithm=algorithm))
    assert isinstance(face, FaceInput)
    nose, cheeks = nose_and_cheeks(fs, face)
    margin = LIVE_MARGIN_LEVELS if algorithm == "alg2" else LIVE_MARGIN_LEVELS // 3  # Alg. 1 spans min–max
    assert all(nose >= cheek + margin for cheek in cheeks), (nose, cheeks)


@pytest.mark.parametrize("camera", ["sr300", "dcam710"])
def test_a_flat_print_shows_no_relief(camera):
    fs = sim(camera, Presentation.PRINT_COLOUR)
    face = prepare_face(fs, box_of(fs), PreprocessSpec())
    nose, cheeks = nose_and_cheeks(fs, face)
    assert all(abs(nose - cheek) <= FLAT_TOLERANCE_LEVELS for cheek in cheeks), (nose, cheeks)


@pytest.mark.parametrize("camera", ["sr300", "dcam710"])
def test_no_hole_remains_in_the_portrait_box(camera):
    fs = sim(camera)
    depth = fs.depth_raw.copy()
    depth[::3, ::2] = 0  # a third of the pixels punched out on top of the sensor's own holes
    holed = dataclasses.replace(fs, depth_raw=depth)
    face = prepare_face(holed, box_of(fs), PreprocessSpec(min_valid_depth_fraction=0.3))
    assert isinstance(face, FaceInput)
    # Holes read as the face's mean (mid-grey), never as 0; only depth beyond mean + 150 mm is 0.
    assert face.target[3].min() > 0 and face.degraded[3].min() > 0


def test_sr300_units_and_millimetres_give_identical_output():
    fs = sim("dcam710")  # depth in whole millimetres
    in_eighths = dataclasses.replace(fs, depth_raw=fs.depth_raw * np.uint16(8), depth_scale_mm=0.125)
    a = prepare_face(fs, box_of(fs), PreprocessSpec())
    b = prepare_face(in_eighths, box_of(fs), PreprocessSpec())
    np.testing.assert_array_equal(a.target, b.target)
    np.testing.assert_array_equal(a.degraded, b.degraded)
    assert a.depth == b.depth


def test_depth_already_in_colour_geometry_skips_registration():
    fs = sim("sr300")
    registered = DepthRegistration.from_frameset(fs).full(fs.depth_raw, fs.depth_scale_mm, fs.ir)
    aligned = dataclasses.replace(
        fs,
        depth_raw=np.rint(registered.depth_mm / fs.depth_scale_mm).astype(np.uint16),
        ir=registered.ir,
        depth_geometry=Geometry.COLOUR,
        ir_geometry=Geometry.COLOUR,
    )
    a = prepare_face(fs, box_of(fs), PreprocessSpec())
    b = prepare_face(aligned, box_of(fs), PreprocessSpec())
    np.testing.assert_array_equal(a.target, b.target)
    with pytest.raises(ValueError, match="align IR too"):
        prepare_face(dataclasses.replace(aligned, ir=fs.ir, ir_geometry=Geometry.DEPTH_SENSOR), box_of(fs))


def test_a_screen_without_depth_is_not_enough_data():
    fs = sim("sr300", Presentation.SCREEN, 900.0)  # coded light loses the pattern on glass
    result = prepare_face(fs, box_of(fs), PreprocessSpec())
    assert isinstance(result, NotEnoughData) and "valid depth" in result.reason
    assert result.valid_depth_fraction < 0.5


@pytest.mark.parametrize(
    "change, box, reason",
    [
        ("zero_depth", None, "valid depth"),
        (None, (700.0, 100.0, 800.0, 200.0), "outside"),
        (None, (-300.0, -300.0, -200.0, -150.0), "outside"),
        ("far", None, "working range"),
    ],
)
def test_bad_data_inside_a_valid_frame_is_not_enough_data(change, box, reason):
    fs = sim("sr300")
    spec = PreprocessSpec()
    if change == "zero_depth":
        fs = dataclasses.replace(fs, depth_raw=np.zeros_like(fs.depth_raw))
    if change == "far":
        spec = PreprocessSpec(working_range_mm=(200.0, 500.0))
    result = prepare_face(fs, box or box_of(fs), spec)
    assert isinstance(result, NotEnoughData) and reason in result.reason


def test_a_box_partly_outside_is_cropped_with_padding():
    centred = sim("sr300")
    at_edge = SimRenderer("sr300", "640x480", seed=1).render(
        Scene(faces=(FaceSpec(distance_mm=600.0, position=(0.04, 0.45)),)), 0
    )
    # The face's unclipped box: the centred face's box moved as far as its nose moved.
    dx = at_edge.truth.faces[0].landmarks_px[2][0] - centred.truth.faces[0].landmarks_px[2][0]
    x0, y0, x1, y1 = box_of(centred)
    assert x0 + dx < 0 < x1 + dx
    result = prepare_face(at_edge, (x0 + dx, y0, x1 + dx, y1), PreprocessSpec(min_valid_depth_fraction=0.3))
    assert isinstance(result, FaceInput)
    assert result.crop_box_xyxy_px[0] < 0
    # The part outside the image counts as holes: filled, so no zero; and it lowers the fraction.
    assert result.target.shape == (5, 16, 16) and result.target[3].min() > 0
    assert result.depth.valid_fraction < 0.8


@pytest.mark.parametrize(
    "change, box, message",
    [
        (None, (10.0, float("nan"), 50.0, 60.0), "face_box_xyxy_colour_px"),
        (None, (50.0, 10.0, 40.0, 60.0), "face_box_xyxy_colour_px"),
        (None, "not a box", "face_box_xyxy_colour_px"),
        ("float_depth", None, "depth_raw must be H×W uint16"),
        ("nan_depth", None, "depth_raw must be H×W uint16"),
        ("short_depth", None, "depth_raw is"),
        ("float_ir", None, "ir must be H×W uint8 or uint16"),
    ],
)
def test_malformed_input_is_a_clear_error(change, box, message):
    fs = sim("sr300")
    if change == "float_depth":
        fs = dataclasses.replace(fs, depth_raw=fs.depth_raw.astype(np.float32))
    if change == "nan_depth":
        depth = fs.depth_mm()
        depth[100:120, 100:120] = np.nan
        fs = dataclasses.replace(fs, depth_raw=depth)
    if change == "short_depth":
        fs = dataclasses.replace(fs, depth_raw=fs.depth_raw[:200])
    if change == "float_ir":
        fs = dataclasses.replace(fs, ir=fs.ir.astype(np.float64))
    with pytest.raises(ValueError, match=message):
        prepare_face(fs, box or box_of(fs), PreprocessSpec())


def test_batches_are_float_in_unit_range_in_channel_order():
    fs = sim("sr300")
    face = prepare_face(fs, box_of(fs), PreprocessSpec())
    batch = to_batch([face, face])
    assert batch.shape == (2, 5, 8, 8) and batch.dtype == np.float32
    np.testing.assert_allclose(batch[1], face.degraded / 255.0, atol=1e-7)
    clear = to_batch([face], clear=True)
    assert clear.shape == (1, 5, 16, 16) and 0.0 <= clear.min() and clear.max() <= 1.0
    # r, g, b come from the BGR image in that order.
    reordered = prepare_face(fs, box_of(fs), PreprocessSpec(channels=("ir", "b", "r")))
    np.testing.assert_array_equal(reordered.target, face.target[[4, 2, 0]])
    with pytest.raises(ValueError, match="at least one"):
        to_batch([])


def test_degraded_input_is_the_blurred_smaller_target():
    fs = sim("sr300")
    face = prepare_face(fs, box_of(fs), PreprocessSpec())
    sharp = prepare_face(fs, box_of(fs), PreprocessSpec(blur_sigma_px=0.1))
    assert face.degraded.shape == (5, 8, 8)
    # Blur with σ 1.5 smooths: neighbouring pixels differ less than without it.
    roughness = lambda a: np.abs(np.diff(a.astype(int), axis=-1)).mean()  # noqa: E731
    assert roughness(face.degraded) < 0.8 * roughness(sharp.degraded)
    sizes = prepare_face(fs, box_of(fs), PreprocessSpec(input_size_px=4, target_size_px=32))
    assert sizes.target.shape == (5, 32, 32) and sizes.degraded.shape == (5, 4, 4)
