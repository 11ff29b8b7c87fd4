"""Modality policy: the darkness criterion, IR quantisation, IR boxes moved into colour pixels,
and the low-light scenario (``auto`` finds faces through IR, ``rgb`` alone does not)."""

from dataclasses import replace

import numpy as np
import pytest

from edge.detection.base import Detection, create_detector
from edge.detection.boxes import iou
from edge.detection.filters import DetectionFilter
from edge.detection.ir_mapping import face_distance_mm, ir_detection_to_colour
from edge.detection.modality import (
    ModalityPolicy, ModalitySettings, ir_to_8bit, read_colour, stretch_for_detection,
)
from edge.frames import Geometry
from tests._detection_scenes import (
    CAMERAS, Score, distance_sweep_scenes, empty_scenes, low_light_scenes, render, truth_boxes_xyxy,
)


@pytest.fixture(scope="module", params=["yunet", "mtcnn"])
def detector(request):
    return create_detector(request.param)


@pytest.fixture(scope="module")
def low_light_frames():
    return {camera: render(camera, low_light_scenes(8, seed=6)) for camera in CAMERAS}


@pytest.fixture(scope="module")
def live_frames():
    """Live faces only (attacks such as screens are meant to look different in IR)."""
    scenes = [s for s in distance_sweep_scenes(25, seed=8) if s.faces[0].presentation.value == "live"]
    return {camera: render(camera, scenes) for camera in CAMERAS}


def found(policy, frameset):
    return DetectionFilter().apply(policy.detect(frameset))


def test_ir_is_quantised_from_its_full_scale():
    ir16 = np.array([[0, 960, 1920, 3840, 4095]], dtype=np.uint16)
    assert ir_to_8bit(ir16, 3840).tolist() == [[0, 64, 128, 255, 255]]
    ir8 = np.array([[0, 100, 255]], dtype=np.uint8)
    assert ir_to_8bit(ir8, 255) is ir8
    assert ir_to_8bit(ir8, 200).tolist() == [[0, 128, 255]]


def test_dim_ir_is_stretched_for_detection_within_the_gain_limit():
    rng = np.random.default_rng(3)
    dim = rng.integers(0, 41, (480, 640), dtype=np.uint8)  # 99.5th percentile 40: gain 6.375
    stretched = stretch_for_detection(dim, max_gain=8.0)
    assert np.percentile(stretched, 99.5) == 255
    assert np.array_equal(stretched, np.clip(np.rint(dim * (255.0 / 40)), 0, 255).astype(np.uint8))
    very_dim = dim // 10  # would need a gain of 64: capped at 8
    assert stretch_for_detection(very_dim, max_gain=8.0).max() == 8 * very_dim.max()
    bright = rng.integers(0, 256, (480, 640), dtype=np.uint8)
    bright[::8] = 255  # an eighth of the rows saturated: the 99.5th percentile is 255
    assert stretch_for_detection(bright, max_gain=8.0) is bright
    assert stretch_for_detection(dim, max_gain=1.0) is dim


@pytest.mark.parametrize("camera", CAMERAS)
def test_darkness_criterion_separates_normal_and_low_light(camera, low_light_frames, live_frames):
    settings = ModalitySettings()
    normal = [read_colour(f.colour_bgr, settings) for f in live_frames[camera]]
    normal += [read_colour(f.colour_bgr, settings) for f in render(camera, empty_scenes(4))]
    low = [read_colour(f.colour_bgr, settings) for f in low_light_frames[camera]]
    assert not any(r.dark for r in normal), normal
    assert all(r.dark for r in low), low


@pytest.mark.parametrize("camera", CAMERAS)
def test_low_light_auto_finds_faces_through_ir_and_rgb_alone_does_not(detector, low_light_frames, camera):
    auto = ModalityPolicy(detector, ModalitySettings(policy="auto"))
    rgb = ModalityPolicy(detector, ModalitySettings(policy="rgb"))
    auto_score, rgb_score = Score(), Score()
    for frameset in low_light_frames[camera]:
        faces = found(auto, frameset)
        assert all(d.modality == "ir" for d in faces)
        auto_score.add(frameset, [d.box_xyxy_px for d in faces])
        rgb_score.add(frameset, [d.box_xyxy_px for d in found(rgb, frameset)])
    assert auto_score.recall >= 0.95 and auto_score.false_boxes == 0
    # Colour alone sees (almost) nothing at night: at most 5 % of the faces.
    assert rgb_score.recall <= 0.05, f"rgb found {rgb_score.found}/{rgb_score.faces} in the dark"


@pytest.mark.parametrize("camera", CAMERAS)
def test_ir_boxes_land_on_the_colour_face(detector, live_frames, camera):
    """Policy ``ir`` in normal light: mapped boxes overlap the colour truth, and the mapping
    does better than taking IR pixels as colour pixels (the parallax it corrects is real)."""
    policy = ModalityPolicy(detector, ModalitySettings(policy="ir"))
    mapped_iou, unmapped_iou = [], []
    for frameset in live_frames[camera]:
        truth = truth_boxes_xyxy(frameset)[0]
        detections = found(policy, frameset)
        assert len(detections) == 1 and detections[0].modality == "ir"
        mapped_iou.append(iou(truth, np.asarray([detections[0].box_xyxy_px]))[0])
        unmapped = detector.detect(stretch_for_detection(ir_to_8bit(frameset.ir, frameset.ir_full_scale), 2.0))
        unmapped_iou.append(iou(truth, np.asarray([unmapped[0].box_xyxy_px]))[0] if unmapped else 0.0)
    assert min(mapped_iou) >= 0.5, mapped_iou
    assert np.mean(mapped_iou) > np.mean(unmapped_iou) + 0.05, (mapped_iou, unmapped_iou)


@pytest.mark.parametrize("camera", CAMERAS)
def test_auto_uses_ir_when_bright_colour_shows_no_face(camera, live_frames):
    """A bright colour image without a face (say the face is in shadow): auto tries IR."""
    detector = create_detector("yunet")
    frameset = live_frames[camera][0]
    no_face = render(camera, empty_scenes(1))[0].colour_bgr
    hidden = replace(frameset, colour_bgr=no_face)
    assert not read_colour(no_face, ModalitySettings()).dark
    assert found(ModalityPolicy(detector, ModalitySettings(policy="rgb")), hidden) == []
    faces = found(ModalityPolicy(detector, ModalitySettings(policy="auto")), hidden)
    assert [d.modality for d in faces] == ["ir"]
    assert iou(truth_boxes_xyxy(frameset)[0], np.asarray([faces[0].box_xyxy_px]))[0] >= 0.5


@pytest.mark.parametrize("camera", CAMERAS)
def test_distance_falls_back_to_face_width_without_depth(camera, live_frames):
    detector = create_detector("yunet")
    for frameset in live_frames[camera]:
        ir_box = detector.detect(ir_to_8bit(frameset.ir, frameset.ir_full_scale))[0].box_xyxy_px
        no_depth = replace(frameset, depth_raw=np.zeros_like(frameset.depth_raw))
        with_depth_mm = face_distance_mm(frameset, ir_box)
        estimate_mm = face_distance_mm(no_depth, ir_box)
        truth_mm = frameset.truth.faces[0].distance_mm
        assert abs(with_depth_mm - truth_mm) < 0.1 * truth_mm + 30
        assert abs(estimate_mm - truth_mm) < 0.2 * truth_mm


def test_ir_already_in_colour_geometry_is_not_moved(live_frames):
    frameset = replace(live_frames["sr300"][0], ir_geometry=Geometry.COLOUR)
    detection = Detection((100.0, 100.0, 180.0, 190.0), 0.9, ((120.0, 130.0),) * 5, modality="ir")
    assert ir_detection_to_colour(frameset, detection) == detection
