"""Which detections go on: a minimum score, and a minimum face size below which a face is kept
but marked too small.

A face smaller than ``min_face_px`` (its box's shorter side, colour pixels) cannot give the
model a usable crop, but dropping it silently would hide a person from the decision stream:
it is tracked and reported with the state ``not_enough_data`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.detection.base import Detection


@dataclass(frozen=True)
class DetectionFilter:
    #: Shorter box side, colour pixels, below which a face is ``too_small``.
    min_face_px: float = 20.0
    #: Detections scoring below this are dropped.
    min_score: float = 0.6

    def apply(self, detections: list[Detection]) -> list[Detection]:
        kept = []
        for d in detections:
            if d.score < self.min_score:
                continue
            too_small = min(d.width_px, d.height_px) < self.min_face_px
            kept.append(d.with_changes(too_small=too_small) if too_small != d.too_small else d)
        return kept
