"""Decisions: calibrated thresholds with overrides, the uncertain band, smoothing, forgetting."""

from __future__ import annotations

import pydantic
import pytest

from edge.decision import Decider, DecisionPolicy, FaceState, state_of

SIDECAR = {"sr300": 0.30, "dcam710": 0.60, "default": 0.5}


def test_tie_rule_and_band():
    assert state_of(0.5, 0.5, 0.0) is FaceState.LIVE          # live iff s ≥ t
    assert state_of(0.4999, 0.5, 0.0) is FaceState.SPOOF
    assert state_of(0.55, 0.5, 0.1) is FaceState.UNCERTAIN
    assert state_of(0.6, 0.5, 0.1) is FaceState.LIVE
    assert state_of(0.39, 0.5, 0.1) is FaceState.SPOOF


def test_threshold_comes_from_the_sidecar_per_camera_model_unless_overridden():
    decider = Decider(SIDECAR, 0.05)
    assert decider.threshold_for("sr300") == 0.30
    assert decider.threshold_for("dcam710") == 0.60
    assert decider.threshold_for("other") == 0.5
    decider.policy = DecisionPolicy(thresholds={"sr300": 0.2})
    assert decider.threshold_for("sr300") == 0.2
    assert decider.threshold_for("dcam710") == 0.60
    # The same score is live on one camera model and spoof on the other.
    assert decider.decide("a", "sr300", 0, 1, 0.45).state is FaceState.LIVE
    assert decider.decide("b", "dcam710", 0, 1, 0.45).state is FaceState.SPOOF


def test_missing_threshold_names_the_fix():
    decider = Decider({"sr300": 0.3}, 0.0)
    with pytest.raises(KeyError, match=r"decision\.thresholds\.dcam710"):
        decider.threshold_for("dcam710")


def test_smoothing_over_the_track_window():
    decider = Decider(SIDECAR, 0.0, DecisionPolicy(smoothing_window_frames=3))
    states = [decider.decide("cam1", "default", i, 7, s).state
              for i, s in enumerate([0.9, 0.9, 0.1, 0.9, 0.1, 0.1, 0.1])]
    # window means: .9 .9 .633 .633 .367 .367 .1 — one bad frame does not flip the state, two do
    assert states == [FaceState.LIVE] * 4 + [FaceState.SPOOF] * 3
    other_track = decider.decide("cam1", "default", 7, 8, 0.1)
    assert other_track.state is FaceState.SPOOF and other_track.samples == 1


def test_not_enough_data_keeps_its_reason_and_does_not_feed_the_smoother():
    decider = Decider(SIDECAR, 0.0)
    v = decider.decide("cam1", "sr300", 0, 1, None, "no valid depth in the face box")
    assert v.state is FaceState.NOT_ENOUGH_DATA and v.reason == "no valid depth in the face box"
    assert v.live_score is None
    assert decider.decide("cam1", "sr300", 1, 1, 0.9).samples == 1


def test_no_depth_rule_decides_spoof_only_for_a_near_face_with_almost_no_depth():
    policy = DecisionPolicy()
    fx = 600.0  # a 126-mm face is 126 px wide at 600 mm, 58 px at 1300 mm
    assert policy.no_depth_means_spoof(0.0, 126.0, fx)
    assert policy.no_depth_means_spoof(0.4, 126.0, fx)
    assert not DecisionPolicy(no_depth_max_fraction=0.25).no_depth_means_spoof(0.3, 126.0, fx)
    assert not policy.no_depth_means_spoof(0.0, 50.0, fx)         # ~1.5 m: beyond the rule's reach
    assert not DecisionPolicy(no_depth_is_spoof=False).no_depth_means_spoof(0.0, 126.0, fx)
    decider = Decider(SIDECAR, 0.0, DecisionPolicy(smoothing_window_frames=3))
    v = decider.decide("cam1", "sr300", 0, 1, None, "0% of the face box has valid depth", no_depth_return=True)
    assert v.state is FaceState.SPOOF and v.live_score == 0.0 and v.reason == ""
    # It is evidence like a score: the track's smoother averages it with the model's next scores.
    assert decider.decide("cam1", "sr300", 1, 1, 0.9).smoothed_score == pytest.approx(0.45)


def test_stale_tracks_are_forgotten_per_camera():
    decider = Decider(SIDECAR, 0.0, DecisionPolicy(forget_track_after_frames=5))
    decider.decide("cam1", "sr300", 0, 1, 0.9)
    decider.decide("cam2", "sr300", 0, 1, 0.9)
    decider.end_frame("cam1", 5)
    assert decider.tracked() == 2
    decider.end_frame("cam1", 6)
    assert decider.tracked() == 1  # cam2's track 1 is another track
    assert decider.decide("cam1", "sr300", 7, 1, 0.1).samples == 1


def test_reload_changes_band_and_window():
    decider = Decider(SIDECAR, 0.1)
    assert decider.decide("c", "default", 0, 1, 0.55).state is FaceState.UNCERTAIN
    decider.policy = DecisionPolicy(uncertain_band=0.0, smoothing_window_frames=1)
    assert decider.decide("c", "default", 1, 1, 0.55).state is FaceState.LIVE
    assert decider.uncertain_band == 0.0


def test_policy_rejects_bad_values():
    with pytest.raises(pydantic.ValidationError, match="live probability"):
        DecisionPolicy(thresholds={"sr300": 1.5})
    with pytest.raises(pydantic.ValidationError, match="smoothing_window_frames"):
        DecisionPolicy(smoothing_window_frames=0)
    with pytest.raises(pydantic.ValidationError, match="Extra inputs"):
        DecisionPolicy(treshold=0.5)
