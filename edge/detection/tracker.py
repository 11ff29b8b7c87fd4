"""Face tracking across frames: association by IoU and centre distance, stable track ids.

Each detection frame, detections are matched to live tracks greedily, cheapest pair first; a
pair may match when its boxes overlap enough (IoU) *or* when their centres are close for
their size — the second keeps a track through fast motion and through the size change of a
person walking towards the camera, where consecutive boxes can overlap little. A track's
box moves with a smoothed constant velocity, which is also what fills the frames between
detections when the finder detects only every k-th frame.

Track ids come from a counter that only grows, so an id is never reused while its track is
live (nor afterwards, within one tracker). A track ends when it has gone unmatched for more
than ``max_missed_frames`` frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pydantic

from edge.detection.base import Detection
from edge.detection.boxes import iou_matrix


class TrackerSettings(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    #: A detection may continue a track whose predicted box it overlaps at least this much…
    min_iou: float = pydantic.Field(0.3, ge=0.0, le=1.0)
    #: …or whose centre is within this many of the track's box sizes (mean of width and height)
    #: one frame after it was last seen; the gate widens with the square root of the frames
    #: since then, as the uncertainty of a random walk does.
    max_centre_distance: float = pydantic.Field(0.5, ge=0.0)
    #: A track ends after this many frames without a matching detection.
    max_missed_frames: int = pydantic.Field(10, ge=0)
    #: Weight of the new measurement in the smoothed per-frame velocity (0 = no motion model).
    velocity_gain: float = pydantic.Field(0.5, ge=0.0, le=1.0)


@dataclass(frozen=True)
class TrackedFace:
    """One face in one frame, with the id of the track it belongs to."""

    track_id: int
    #: This frame's detection, or the track's last one moved to its predicted box.
    detection: Detection
    #: True when the box is a prediction (a frame between detections), not a detection.
    predicted: bool
    #: Frames since the track began.
    age_frames: int

    @property
    def box_xyxy_px(self) -> tuple[float, float, float, float]:
        return self.detection.box_xyxy_px

    @property
    def score(self) -> float:
        return self.detection.score

    @property
    def modality(self) -> str:
        return self.detection.modality

    @property
    def state(self) -> str:
        """"ok", or "not_enough_data" for a face below the minimum size."""
        return self.detection.state


class _Track:
    def __init__(self, track_id: int, detection: Detection, frame: int) -> None:
        self.track_id = track_id
        self.detection = detection
        self.box = np.asarray(detection.box_xyxy_px, dtype=np.float64)
        self.velocity = np.zeros(4)
        self.first_frame = frame
        self.last_seen_frame = frame

    def predicted_box(self, frame: int) -> np.ndarray:
        return self.box + self.velocity * (frame - self.last_seen_frame)

    def update(self, detection: Detection, frame: int, gain: float) -> None:
        new_box = np.asarray(detection.box_xyxy_px, dtype=np.float64)
        measured = (new_box - self.box) / max(frame - self.last_seen_frame, 1)
        self.velocity = (1.0 - gain) * self.velocity + gain * measured
        self.box, self.detection, self.last_seen_frame = new_box, detection, frame


class FaceTracker:
    """Call ``update(detections)`` on frames that were detected, ``predict()`` on the others."""

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.settings = settings or TrackerSettings()
        self._tracks: list[_Track] = []
        self._next_id = 1
        self._frame = -1
        self._last_update_frame = -1

    @property
    def live_track_ids(self) -> list[int]:
        return [t.track_id for t in self._tracks]

    def update(self, detections: list[Detection]) -> list[TrackedFace]:
        """Match this frame's detections to tracks; start tracks for the rest; end stale ones."""
        self._frame += 1
        frame = self._last_update_frame = self._frame
        matches, unmatched = self._associate(detections, frame)
        faces = []
        for track, detection in matches:
            track.update(detection, frame, self.settings.velocity_gain)
            faces.append(self._report(track, frame, predicted=False))
        for detection in unmatched:
            track = _Track(self._next_id, detection, frame)
            self._next_id += 1
            self._tracks.append(track)
            faces.append(self._report(track, frame, predicted=False))
        self._tracks = [
            t for t in self._tracks if frame - t.last_seen_frame <= self.settings.max_missed_frames
        ]
        return sorted(faces, key=lambda f: f.track_id)

    def predict(self) -> list[TrackedFace]:
        """A frame without detection: tracks seen at the last detection move on their velocity."""
        self._frame += 1
        seen_last_time = [t for t in self._tracks if t.last_seen_frame == self._last_update_frame]
        return [self._report(t, self._frame, predicted=True) for t in seen_last_time]

    def _associate(
        self, detections: list[Detection], frame: int
    ) -> tuple[list[tuple[_Track, Detection]], list[Detection]]:
        if not self._tracks or not detections:
            return [], list(detections)
        predicted = np.stack([t.predicted_box(frame) for t in self._tracks])
        found = np.asarray([d.box_xyxy_px for d in detections], dtype=np.float64)
        overlap = iou_matrix(predicted, found)
        frames_since_seen = np.array([frame - t.last_seen_frame for t in self._tracks], dtype=np.float64)
        distance = _centre_distance_in_box_sizes(predicted, found) / np.sqrt(frames_since_seen)[:, None]
        allowed = (overlap >= self.settings.min_iou) | (distance <= self.settings.max_centre_distance)
        cost = (1.0 - overlap) + distance
        pairs = sorted(zip(*np.nonzero(allowed)), key=lambda ij: cost[ij])
        used_tracks, used_detections, matches = set(), set(), []
        for i, j in pairs:
            if i in used_tracks or j in used_detections:
                continue
            used_tracks.add(i)
            used_detections.add(j)
            matches.append((self._tracks[i], detections[j]))
        unmatched = [d for j, d in enumerate(detections) if j not in used_detections]
        return matches, unmatched

    def _report(self, track: _Track, frame: int, predicted: bool) -> TrackedFace:
        detection = track.detection
        if predicted:
            shift = track.predicted_box(frame) - track.box
            detection = detection.with_changes(
                box_xyxy_px=tuple(float(v) for v in track.predicted_box(frame)),
                landmarks_px=tuple((x + (shift[0] + shift[2]) / 2, y + (shift[1] + shift[3]) / 2)
                                   for x, y in detection.landmarks_px),
            )
        return TrackedFace(track.track_id, detection, predicted, frame - track.first_frame)


def _centre_distance_in_box_sizes(tracks: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Distance between centres divided by the track box's mean side, for every pair."""
    track_centres = (tracks[:, :2] + tracks[:, 2:]) / 2.0
    found_centres = (found[:, :2] + found[:, 2:]) / 2.0
    sizes = ((tracks[:, 2] - tracks[:, 0]) + (tracks[:, 3] - tracks[:, 1])) / 2.0
    gaps = np.linalg.norm(track_centres[:, None, :] - found_centres[None, :, :], axis=2)
    return gaps / np.maximum(sizes, 1.0)[:, None]
