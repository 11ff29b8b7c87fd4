"""The face-detection section of the daemon's configuration."""

from __future__ import annotations

from typing import Any

import cv2
import pydantic

from edge.detection.base import DetectorOptions, FaceDetector, UnknownDetector, create_detector, detector_options
from edge.detection.modality import ModalitySettings
from edge.detection.tracker import TrackerSettings


class DetectionConfig(pydantic.BaseModel):
    """Detector (by name, with its own options), modality policy, filters, tracker, cadence.

    Example (TOML)::

        [detection]
        detector = "yunet"                      # or "mtcnn"
        detector_options = { score_threshold = 0.5 }
        min_face_px = 20
        min_score = 0.6
        detect_every_k = 1
        [detection.modality]
        policy = "auto"                          # "rgb" | "ir" | "auto"
        [detection.tracker]
        max_missed_frames = 10
    """

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    detector: str = "yunet"
    #: Options of the chosen detector (``YuNetOptions`` / ``MTCNNOptions``); unknown keys are errors.
    detector_options: dict[str, Any] = pydantic.Field(default_factory=dict)
    modality: ModalitySettings = ModalitySettings()
    #: Faces whose box's shorter side (colour px) is below this are reported as not_enough_data.
    min_face_px: float = pydantic.Field(20.0, ge=1.0)
    #: Detections below this score are dropped.
    min_score: float = pydantic.Field(0.6, ge=0.0, le=1.0)
    tracker: TrackerSettings = TrackerSettings()
    #: Run the detector on every k-th frame; the tracker predicts boxes in between (1 = every frame).
    detect_every_k: int = pydantic.Field(1, ge=1)
    #: OpenCV's worker threads, process-wide (None: OpenCV's default, one per core). One: on a
    #: 320-px image YuNet took the same wall time with one thread as with two (5.7 vs 5.5 ms per
    #: 640×480 frame) but 4 ms less CPU, which the capture and publisher threads need on 2 cores.
    opencv_threads: int | None = pydantic.Field(1, ge=1)

    def create_detector(self) -> FaceDetector:
        """The configured detector, with ``opencv_threads`` applied to the process."""
        if self.opencv_threads is not None:
            cv2.setNumThreads(self.opencv_threads)
        return create_detector(self.detector, self.validated_detector_options())

    @pydantic.model_validator(mode="after")
    def _detector_exists_and_options_fit(self) -> DetectionConfig:
        try:
            detector_options(self.detector, self.detector_options)
        except UnknownDetector as e:
            raise ValueError(f"detector: {e}") from None
        except pydantic.ValidationError as e:
            problems = "; ".join(
                f"detector_options.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()
            )
            raise ValueError(f"options of detector {self.detector!r}: {problems}") from None
        return self

    def validated_detector_options(self) -> DetectorOptions:
        return detector_options(self.detector, self.detector_options)
