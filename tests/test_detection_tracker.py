"""Tracker on synthetic boxes: stable ids through a walk, two people, no id reuse, track end,
prediction between detections."""

import numpy as np
import pytest

from edge.detection.base import Detection
from edge.detection.filters import DetectionFilter
from edge.detection.tracker import FaceTracker, TrackerSettings


def face(cx, cy, size, score=0.9):
    half = size / 2
    landmarks = tuple((cx + dx * size, cy + dy * size) for dx, dy in
                      ((-0.2, -0.1), (0.2, -0.1), (0.0, 0.05), (-0.15, 0.25), (0.15, 0.25)))
    return Detection((cx - half, cy - half, cx + half, cy + half), score, landmarks)


def walk_in(frames=90):
    """A person walks in from the left edge and towards the camera: the face grows 40→110 px
    and moves ~6 px a frame, so consecutive boxes overlap less than in a slow scene."""
    for k in range(frames):
        t = k / (frames - 1)
        yield face(30 + 500 * t, 200 + 40 * t, 40 + 70 * t)


def test_a_person_walking_in_keeps_one_track_id():
    tracker = FaceTracker()
    ids = {f.track_id for d in walk_in() for f in tracker.update([d])}
    assert ids == {1}


def test_walk_keeps_its_id_with_detection_only_every_fourth_frame():
    tracker = FaceTracker()
    ids, predicted_boxes = set(), []
    for k, d in enumerate(walk_in()):
        faces = tracker.update([d]) if k % 4 == 0 else tracker.predict()
        assert len(faces) == 1, f"frame {k}: {faces}"
        ids.add(faces[0].track_id)
        if faces[0].predicted:
            predicted_boxes.append((np.array(faces[0].box_xyxy_px), np.array(d.box_xyxy_px)))
    assert ids == {1}
    # Constant-velocity prediction stays on the face between detections.
    errors = [np.abs(p - truth).max() for p, truth in predicted_boxes[10:]]
    assert max(errors) < 6.0


def test_two_people_get_two_ids_that_stay_with_them():
    tracker = FaceTracker()
    for k in range(40):
        left, right = face(150 + 2 * k, 240, 80), face(450 - 2 * k, 240, 80)
        faces = tracker.update([right, left] if k % 2 else [left, right])
        by_x = sorted(faces, key=lambda f: f.box_xyxy_px[0])
        assert [f.track_id for f in by_x] == [1, 2]


def test_track_ends_after_max_missed_frames_and_ids_are_never_reused():
    tracker = FaceTracker(TrackerSettings(max_missed_frames=3))
    first = tracker.update([face(100, 100, 60)])[0].track_id
    for _ in range(3):
        assert tracker.update([]) == []
        assert tracker.live_track_ids == [first]  # still live: missed 1..3 frames
    tracker.update([])
    assert tracker.live_track_ids == []  # ended after the 4th miss
    again = tracker.update([face(100, 100, 60)])[0].track_id
    assert again != first


def test_a_face_that_reappears_within_the_miss_budget_keeps_its_id():
    tracker = FaceTracker(TrackerSettings(max_missed_frames=5))
    first = tracker.update([face(200, 200, 60)])[0].track_id
    for _ in range(4):
        tracker.update([])
    assert tracker.update([face(204, 200, 60)])[0].track_id == first


def test_ids_of_live_tracks_are_unique_under_churn():
    rng = np.random.default_rng(7)
    tracker = FaceTracker(TrackerSettings(max_missed_frames=2))
    issued = []
    for _ in range(200):
        n = int(rng.integers(0, 4))
        faces = tracker.update([face(*rng.uniform(50, 590, 2), rng.uniform(30, 90)) for _ in range(n)])
        live = tracker.live_track_ids
        assert len(live) == len(set(live))
        issued.extend(f.track_id for f in faces if f.age_frames == 0)
    assert len(issued) == len(set(issued)) > 20


def test_far_detection_starts_a_new_track():
    tracker = FaceTracker()
    a = tracker.update([face(100, 100, 50)])[0].track_id
    b = tracker.update([face(400, 300, 50)])
    assert [f.track_id for f in b] == [a + 1]


@pytest.mark.parametrize("size, expected", [(19.0, True), (20.0, False), (64.0, False)])
def test_small_faces_are_kept_and_marked_not_enough_data(size, expected):
    kept = DetectionFilter(min_face_px=20, min_score=0.6).apply([face(300, 200, size)])
    assert len(kept) == 1
    assert kept[0].too_small is expected
    assert kept[0].state == ("not_enough_data" if expected else "ok")


def test_low_scores_are_dropped():
    kept = DetectionFilter(min_face_px=20, min_score=0.6).apply([face(100, 100, 50, 0.59), face(300, 100, 50, 0.61)])
    assert [d.score for d in kept] == [0.61]
