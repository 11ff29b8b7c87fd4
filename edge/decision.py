"""From live scores to decisions: calibrated threshold, uncertain band, smoothing per track.

A fixed threshold of 0.5 fails on a new camera (reference/model.md, "Deployment facts"), so the
threshold comes from the model's sidecar, calibrated per camera model at a target APCER, and the
configuration may override it. Scores within ``uncertain_band`` of the threshold are reported
``uncertain`` rather than guessed. A face the processing or detection stage could not use (no
valid depth, too small, too far) is ``not_enough_data``. Scores are averaged over the last
``smoothing_window_frames`` frames of the same track, so one noisy frame does not flip the state.

One exception to not_enough_data, on by default (``no_depth_is_spoof``): a face the detector sees
close enough that the depth camera must return depth from skin, but from whose box too little
depth comes back, is ``spoof`` without running the model. Skin scatters both cameras' near-IR
(SR300 coded light, DCAM710 time of flight); a glossy screen mirrors it away
(reference/cameras.md). Its ``live_score`` is 0, the rule's certainty, and it feeds the track's
smoother like a model score.

Tie rule (as in ``engines.metrics``): live iff score ≥ threshold. With a band b: live iff
score ≥ t + b, spoof iff score < t − b, uncertain otherwise.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass

import pydantic

from edge.messages import FaceState


class DecisionPolicy(pydantic.BaseModel):
    """The ``[decision]`` section of the daemon's configuration (reloaded on SIGHUP)."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    #: Camera model ("sr300", "dcam710", or "default") → threshold replacing the sidecar's.
    thresholds: dict[str, float] = pydantic.Field(default_factory=dict)
    #: Half-width of the uncertain band around the threshold; None keeps the sidecar's.
    uncertain_band: float | None = pydantic.Field(default=None, ge=0.0, le=0.5)
    smoothing_window_frames: int = pydantic.Field(default=5, ge=1, le=300)
    #: How long a decision stays valid after capture; consumers refuse older ones.
    expiry_ms: int = pydantic.Field(default=500, gt=0, le=60_000)
    #: A track not seen for this many frames of its camera loses its smoothing history.
    forget_track_after_frames: int = pydantic.Field(default=30, ge=1)
    #: The no-depth rule (module docstring): spoof when less than ``no_depth_max_fraction`` of the
    #: face box has valid depth and the distance its size implies is within ``no_depth_within_mm``.
    #: Live simulator faces keep ≥ 62 % of their box valid at 0.4–1.2 m (masks too); screens 0 %,
    #: up to 40 % at half a metre where the glass mirrors some of the projector back. The default
    #: equals processing's ``min_valid_depth_fraction``: every near face refused for its depth.
    no_depth_is_spoof: bool = True
    no_depth_max_fraction: float = pydantic.Field(default=0.5, gt=0.0, le=1.0)
    no_depth_within_mm: float = pydantic.Field(default=1300.0, gt=0.0)

    def no_depth_means_spoof(self, valid_depth_fraction: float, box_width_px: float, fx_px: float) -> bool:
        return (self.no_depth_is_spoof and valid_depth_fraction < self.no_depth_max_fraction
                and implied_distance_mm(box_width_px, fx_px) <= self.no_depth_within_mm)

    @pydantic.field_validator("thresholds")
    @classmethod
    def _thresholds_are_probabilities(cls, value: dict[str, float]) -> dict[str, float]:
        for camera_model, t in value.items():
            if not 0.0 <= t <= 1.0:
                raise ValueError(
                    f"threshold for {camera_model!r} is {t}; a threshold is a live probability "
                    "in [0, 1]"
                )
        return value


#: Median width of a frontal face's detector box (the simulator's heads, fitted to YuNet's boxes:
#: 115–151 mm over yaw ±45°); adults measure about the same across the cheekbones.
FACE_BOX_WIDTH_MM = 126.0


def implied_distance_mm(box_width_px: float, fx_px: float) -> float:
    """How far a face of the usual width is when its box is this wide (pinhole camera)."""
    return fx_px * FACE_BOX_WIDTH_MM / max(box_width_px, 1e-6)


@dataclass(frozen=True)
class Verdict:
    state: FaceState
    #: This frame's live score (None for not_enough_data).
    live_score: float | None
    #: Mean of the track's recent scores — what the state was decided on.
    smoothed_score: float | None
    threshold: float
    #: Scores in the smoothing window, this frame's included.
    samples: int
    #: Why the face had not enough data (empty otherwise).
    reason: str = ""


def state_of(score: float, threshold: float, band: float) -> FaceState:
    """The tie rule with an uncertain band (module docstring)."""
    if score >= threshold + band:
        return FaceState.LIVE
    if score < threshold - band:
        return FaceState.SPOOF
    return FaceState.UNCERTAIN


class Decider:
    """Turns per-face scores into verdicts, remembering each track's recent scores.

    Used from the pipeline worker; ``update_policy`` may be called from the main thread on
    SIGHUP, hence the lock."""

    def __init__(self, sidecar_thresholds: dict[str, float], sidecar_uncertain_band: float,
                 policy: DecisionPolicy | None = None) -> None:
        self._sidecar_thresholds = dict(sidecar_thresholds)
        self._sidecar_band = float(sidecar_uncertain_band)
        self._lock = threading.Lock()
        self._history: dict[tuple[str, int], collections.deque[float]] = {}
        self._last_seen: dict[tuple[str, int], int] = {}
        self.policy = policy or DecisionPolicy()

    @property
    def policy(self) -> DecisionPolicy:
        return self._policy

    @policy.setter
    def policy(self, policy: DecisionPolicy) -> None:
        with self._lock:
            self._policy = policy
            for key, scores in self._history.items():
                self._history[key] = collections.deque(scores, maxlen=policy.smoothing_window_frames)

    @property
    def calibrated_camera_models(self) -> tuple[str, ...]:
        """Camera models the sidecar calibrated a threshold for."""
        return tuple(self._sidecar_thresholds)

    @property
    def uncertain_band(self) -> float:
        band = self._policy.uncertain_band
        return self._sidecar_band if band is None else band

    def threshold_for(self, camera_model: str) -> float:
        """Configured override, else the sidecar's calibration for this camera model, else the
        override's or the sidecar's "default"."""
        for table in (self._policy.thresholds, self._sidecar_thresholds):
            if camera_model in table:
                return float(table[camera_model])
        for table in (self._policy.thresholds, self._sidecar_thresholds):
            if "default" in table:
                return float(table["default"])
        raise KeyError(
            f"no threshold for camera model {camera_model!r}: the model's sidecar has "
            f"{sorted(self._sidecar_thresholds)}; add decision.thresholds.{camera_model} "
            "(or decision.thresholds.default) to the configuration"
        )

    def decide(self, camera_id: str, camera_model: str, frame_index: int, track_id: int,
               live_score: float | None, not_enough_data_reason: str = "", no_depth_return: bool = False) -> Verdict:
        """``no_depth_return``: the caller found the no-depth rule's conditions (DecisionPolicy)."""
        threshold = self.threshold_for(camera_model)
        key = (camera_id, track_id)
        with self._lock:
            self._last_seen[key] = frame_index
            if live_score is None and no_depth_return:
                live_score, not_enough_data_reason = 0.0, ""
            if live_score is None:
                return Verdict(FaceState.NOT_ENOUGH_DATA, None, None, threshold, 0,
                               not_enough_data_reason or "no usable face input")
            scores = self._history.setdefault(
                key, collections.deque(maxlen=self._policy.smoothing_window_frames))
            scores.append(float(live_score))
            smoothed = sum(scores) / len(scores)
            state = state_of(smoothed, threshold, self.uncertain_band)
            return Verdict(state, float(live_score), smoothed, threshold, len(scores))

    def end_frame(self, camera_id: str, frame_index: int) -> None:
        """Forget tracks of this camera that have not been seen for a while."""
        limit = self._policy.forget_track_after_frames
        with self._lock:
            stale = [k for k, seen in self._last_seen.items()
                     if k[0] == camera_id and frame_index - seen > limit]
            for key in stale:
                self._last_seen.pop(key, None)
                self._history.pop(key, None)

    def tracked(self) -> int:
        with self._lock:
            return len(self._history)
