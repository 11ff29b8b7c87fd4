"""The one entry point the pipeline calls: faces of a FrameSet, tracked, in colour pixels.

``FaceFinder(config).find(frameset)`` runs the modality policy's detector (on every
``detect_every_k``-th frame), the size and score filters, and the tracker, and returns one
``TrackedFace`` per visible face with a stable track id.
"""

from __future__ import annotations

from edge.detection.base import FaceDetector, create_detector
from edge.detection.config import DetectionConfig
from edge.detection.filters import DetectionFilter
from edge.detection.modality import ModalityPolicy
from edge.detection.tracker import FaceTracker, TrackedFace
from edge.frames import FrameSet


class FaceFinder:
    """Detector + modality policy + filters + tracker for one camera stream (not thread-safe)."""

    def __init__(self, config: DetectionConfig | None = None, detector: FaceDetector | None = None) -> None:
        self.config = config or DetectionConfig()
        # A caller may pass an already built detector to share its loaded model across cameras
        # that run in the same worker.
        detector = detector or create_detector(self.config.detector, self.config.validated_detector_options())
        self.policy = ModalityPolicy(detector, self.config.modality)
        self.filter = DetectionFilter(self.config.min_face_px, self.config.min_score)
        self.tracker = FaceTracker(self.config.tracker)
        self._frames_seen = 0
        #: Whether the last call ran the detector (False: tracker prediction only).
        self.last_detected = False

    def find(self, frameset: FrameSet) -> list[TrackedFace]:
        """Faces in this frame. Raises ValueError naming the field of a malformed FrameSet."""
        frameset.validate()
        self.last_detected = self._frames_seen % self.config.detect_every_k == 0
        self._frames_seen += 1
        if not self.last_detected:
            return self.tracker.predict()
        return self.tracker.update(self.filter.apply(self.policy.detect(frameset)))
