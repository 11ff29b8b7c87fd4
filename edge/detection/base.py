"""The face-detector contract: an image in, face boxes with scores and five landmarks out.

A detector is a small class with a name, typed options and one method, ``detect(image)``. The
backends (``yunet``, ``mtcnn``) live one per file and are found by name through the registry
below, so the configuration chooses a detector with a string and its own option block, and a
new backend is one new file plus ``@register_detector``.

Coordinates are pixels of the image that was given to ``detect``; the modality policy
(``edge.detection.modality``) maps infrared detections into colour geometry and tags each one
with the modality that found it.
"""

from __future__ import annotations

import abc
import importlib
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

import cv2
import numpy as np
import pydantic

Modality = Literal["rgb", "ir"]

#: Landmark order of both detectors: the subject's right eye, left eye, nose tip, right and
#: left mouth corner (the same order as ``edge.frames.FaceTruth.landmarks_px``).
LANDMARK_NAMES = ("right_eye", "left_eye", "nose_tip", "right_mouth", "left_mouth")


class DetectorInputError(ValueError):
    """The image handed to a detector is not one it can read."""


class UnknownDetector(LookupError):
    """No detector is registered under this name."""


@dataclass(frozen=True)
class Detection:
    """One face found in one image."""

    #: x1, y1, x2, y2 in pixels (colour geometry once it leaves the modality policy).
    box_xyxy_px: tuple[float, float, float, float]
    #: The detector's confidence in [0, 1].
    score: float
    #: Five (x, y) points in ``LANDMARK_NAMES`` order, same pixels as the box.
    landmarks_px: tuple[tuple[float, float], ...]
    #: Which image found the face.
    modality: Modality = "rgb"
    #: Smaller than the configured minimum face size: kept (so it is tracked and reported)
    #: but its decision is ``not_enough_data``.
    too_small: bool = False

    @property
    def width_px(self) -> float:
        return self.box_xyxy_px[2] - self.box_xyxy_px[0]

    @property
    def height_px(self) -> float:
        return self.box_xyxy_px[3] - self.box_xyxy_px[1]

    @property
    def centre_px(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.box_xyxy_px
        return ((x1 + x2) / 2.0, (y1 + y2) / 2.0)

    @property
    def state(self) -> Literal["ok", "not_enough_data"]:
        return "not_enough_data" if self.too_small else "ok"

    def with_changes(self, **changes: Any) -> Detection:
        return replace(self, **changes)


class DetectorOptions(pydantic.BaseModel):
    """Base of each detector's typed options; unknown keys are an error, not a silent no-op."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


#: Below this no face of the smallest size either network finds (12 px P-Net cell) fits.
MIN_IMAGE_SIDE_PX = 12


def check_detector_image(image: object) -> np.ndarray:
    """The image as H×W×3 uint8 BGR, or a DetectorInputError saying what is wrong and what fits.

    Accepts H×W×3 uint8 (BGR, the FrameSet's colour layout) and H×W uint8 (an 8-bit infrared
    image, expanded to three equal channels because both networks read three)."""
    if not isinstance(image, np.ndarray):
        raise DetectorInputError(
            f"detector image must be a numpy array (H×W×3 uint8 BGR or H×W uint8), got {type(image).__name__}"
        )
    if image.dtype != np.uint8:
        raise DetectorInputError(
            f"detector image must be uint8, got {image.dtype}; quantise 16-bit infrared to 8 bits "
            "from its full scale first (edge.detection.modality.ir_to_8bit)"
        )
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise DetectorInputError(
            f"detector image must be H×W×3 (BGR) or H×W (grey), got shape {image.shape}"
        )
    if image.shape[0] < MIN_IMAGE_SIDE_PX or image.shape[1] < MIN_IMAGE_SIDE_PX:
        raise DetectorInputError(
            f"detector image of shape {image.shape} is empty or too small: both sides must be "
            f"at least {MIN_IMAGE_SIDE_PX} px"
        )
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(image)


class FaceDetector(abc.ABC):
    """Finds faces in one image. Construct with validated options; call ``detect`` per frame.

    Input expectations: ``check_detector_image`` — H×W×3 uint8 BGR or H×W uint8 grey, any size
    of at least 12×12 px. Output boxes and landmarks are in that image's pixels, sorted by
    descending score. A detector is not thread-safe: one pipeline worker owns it."""

    #: The registry name used in configuration.
    name: ClassVar[str]
    Options: ClassVar[type[DetectorOptions]] = DetectorOptions

    def __init__(self, options: DetectorOptions | None = None) -> None:
        self.options = options if options is not None else self.Options()

    @abc.abstractmethod
    def detect(self, image: np.ndarray) -> list[Detection]:
        """Faces in ``image`` (see the class docstring for what it may be)."""


_REGISTRY: dict[str, type[FaceDetector]] = {}

#: Built-in backends, imported on first use so that choosing one does not load the other's runtime.
_BUILTIN_MODULES = {"yunet": "edge.detection.yunet", "mtcnn": "edge.detection.mtcnn"}


def register_detector(cls: type[FaceDetector]) -> type[FaceDetector]:
    """Class decorator: make a FaceDetector subclass available under its ``name``."""
    if not (isinstance(cls, type) and issubclass(cls, FaceDetector)):
        raise TypeError(f"{cls!r} is not a FaceDetector subclass")
    _REGISTRY[cls.name] = cls
    return cls


def detector_names() -> list[str]:
    return sorted(set(_REGISTRY) | set(_BUILTIN_MODULES))


def detector_class(name: str) -> type[FaceDetector]:
    if name not in _REGISTRY and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    if name not in _REGISTRY:
        raise UnknownDetector(f"no face detector named {name!r}; choose one of {detector_names()}")
    return _REGISTRY[name]


def detector_options(name: str, options: DetectorOptions | dict[str, Any] | None = None) -> DetectorOptions:
    """Validate ``options`` for the detector ``name`` (pydantic error names the bad key)."""
    cls = detector_class(name)
    if options is None:
        return cls.Options()
    if isinstance(options, cls.Options):
        return options
    if isinstance(options, DetectorOptions):
        raise TypeError(f"{type(options).__name__} are not options of detector {name!r}")
    return cls.Options.model_validate(options)


def create_detector(name: str, options: DetectorOptions | dict[str, Any] | None = None) -> FaceDetector:
    """The detector registered as ``name``, built with its validated options."""
    return detector_class(name)(detector_options(name, options))
