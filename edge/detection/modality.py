"""Which image to detect on: colour, or near-infrared when colour cannot see.

Surveillance boxes run at night. The colour image then goes dark while the cameras' own IR
illuminators still light the face, and both detectors find faces on IR frames. Policies:

- ``rgb``: colour only.
- ``ir``: infrared only (8-bit, quantised uniformly from the sensor's full scale, then brightened
  for detection when dim: ``ir_max_gain``).
- ``auto``: colour, unless it is too dark to trust; and infrared also when colour finds no face
  (shadowed faces, back light). IR detections are moved into colour pixels
  (``edge.detection.ir_mapping``), so every result is in colour geometry and says which
  modality found it. A frame without a face therefore costs two detector runs under ``auto``.

"Too dark" is measured on the colour image shrunk 4× per side with area averaging (which
averages away per-pixel sensor noise but keeps the scene's structure): its luma (BT.601) must
have a mean of at least ``dark_mean_luma`` and a standard deviation (RMS contrast) of at least
``dark_min_contrast``, both on the 0–255 scale. Measured on the simulator (both cameras,
``tests/test_detection_modality.py``): normal light gives a mean of 81–101 and a contrast of
18–40, low light (a night scene: faces at 1–4 DN) a mean of 2.9–3.2 and a contrast of
0.7–0.8; the defaults (40 and 10) sit between with a wide margin on both sides. A real
camera's auto-exposure lifts a night image's mean at the cost of noise: check the thresholds
against a night recording of the site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import pydantic

from edge.detection.base import Detection, FaceDetector
from edge.detection.ir_mapping import ir_detection_to_colour
from edge.frames import FrameSet

Policy = Literal["rgb", "ir", "auto"]

_DARKNESS_SHRINK = 4


class ModalitySettings(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    policy: Policy = "auto"
    #: Colour is too dark when its mean luma (0–255) is below this…
    dark_mean_luma: float = pydantic.Field(40.0, ge=0.0, le=255.0)
    #: …or its RMS contrast (luma standard deviation, 0–255) is below this.
    dark_min_contrast: float = pydantic.Field(10.0, ge=0.0, le=255.0)
    #: The 8-bit IR is brightened for detection (only) so that its 99.5th percentile reaches
    #: 255, by at most this gain (1 = no stretch): the illuminator's light falls with the
    #: square of the distance, and far faces are dim. Measured on simulated live faces at
    #: 0.4–1.2 m (both cameras, normal and low light), the lowest face score was: gain 1 —
    #: YuNet 0.87, MTCNN 0.60; gain 2 — 0.82 and 0.87; gain 8 — 0.60 and 0.95 (more gain
    #: amplifies the 8-bit SR300's noise, which YuNet dislikes). 2 serves both.
    ir_max_gain: float = pydantic.Field(2.0, ge=1.0)
    #: Wider images are shrunk to this width before detection and the boxes scaled back: the
    #: detectors' cost grows with the pixel count, and faces in the working range stay well above
    #: their minimum size (a face at 1.2 m is ~38 px wide at 320 px). 0 = always full size.
    #: Measured on 100 simulator frames per camera (0.4–1.2 m, live and the four attacks, seed 7):
    #: YuNet found 100/100 at 640, 480, 400 and 320 px on both cameras, at 14, 9, 6 and 4 ms of
    #: thread CPU per 640×480 frame; MTCNN is unchanged in recall and 3× faster at 320.
    max_detection_width_px: int = pydantic.Field(320, ge=0)


@dataclass(frozen=True)
class ColourReading:
    """How bright and how contrasted a colour image is (luma, 0–255), and the verdict."""

    mean_luma: float
    contrast: float
    dark: bool


def read_colour(colour_bgr: np.ndarray, settings: ModalitySettings) -> ColourReading:
    """Mean luma and RMS contrast of the colour image shrunk 4×, and whether that is too dark."""
    h, w = colour_bgr.shape[:2]
    small = cv2.resize(colour_bgr, (max(w // _DARKNESS_SHRINK, 1), max(h // _DARKNESS_SHRINK, 1)),
                       interpolation=cv2.INTER_AREA)
    mean, std = cv2.meanStdDev(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
    mean_luma, contrast = float(mean[0, 0]), float(std[0, 0])
    dark = mean_luma < settings.dark_mean_luma or contrast < settings.dark_min_contrast
    return ColourReading(mean_luma, contrast, dark)


def ir_to_8bit(ir: np.ndarray, full_scale: int) -> np.ndarray:
    """IR quantised uniformly to 0–255 from the sensor's full scale (brighter stays brighter)."""
    if ir.dtype == np.uint8 and full_scale == 255:
        return ir
    return cv2.convertScaleAbs(ir, alpha=255.0 / full_scale)


_STRETCH_PERCENTILE = 99.5


def stretch_for_detection(ir8: np.ndarray, max_gain: float) -> np.ndarray:
    """8-bit IR brightened so that its 99.5th percentile (sampled on every 4th pixel) reaches
    255, by at most ``max_gain``; the few brighter pixels (glints) saturate."""
    reference = float(np.percentile(ir8[::4, ::4], _STRETCH_PERCENTILE))
    gain = min(255.0 / max(reference, 1.0), max_gain)
    if gain <= 1.0:
        return ir8
    return cv2.convertScaleAbs(ir8, alpha=gain)


class ModalityPolicy:
    """Runs one detector on the image the policy picks; results are in colour pixels."""

    def __init__(self, detector: FaceDetector, settings: ModalitySettings | None = None) -> None:
        self.detector = detector
        self.settings = settings or ModalitySettings()
        #: The last frame's colour reading (None under the ``ir`` policy), for statistics.
        self.last_reading: ColourReading | None = None

    def detect(self, frameset: FrameSet) -> list[Detection]:
        policy = self.settings.policy
        self.last_reading = None
        if policy == "ir":
            return self._detect_ir(frameset)
        if policy == "auto":
            self.last_reading = read_colour(frameset.colour_bgr, self.settings)
            if self.last_reading.dark:
                return self._detect_ir(frameset)
        found = self._run(frameset.colour_bgr)
        if found or policy == "rgb":
            return found
        return self._detect_ir(frameset)

    def _detect_ir(self, frameset: FrameSet) -> list[Detection]:
        ir8 = stretch_for_detection(ir_to_8bit(frameset.ir, frameset.ir_full_scale), self.settings.ir_max_gain)
        return [ir_detection_to_colour(frameset, d.with_changes(modality="ir")) for d in self._run(ir8)]

    def _run(self, image: np.ndarray) -> list[Detection]:
        """The detector on ``image``, shrunk first when it is wider than the configured width."""
        limit = self.settings.max_detection_width_px
        width = image.shape[1]
        if not limit or width <= limit:
            return self.detector.detect(image)
        small_height = max(round(image.shape[0] * limit / width), 1)
        small = cv2.resize(image, (limit, small_height), interpolation=cv2.INTER_AREA)
        sx, sy = width / limit, image.shape[0] / small_height
        scaled = []
        for d in self.detector.detect(small):
            x1, y1, x2, y2 = d.box_xyxy_px
            scaled.append(d.with_changes(
                box_xyxy_px=(x1 * sx, y1 * sy, x2 * sx, y2 * sy),
                landmarks_px=tuple((x * sx, y * sy) for x, y in d.landmarks_px),
            ))
        return scaled
