"""The per-frame stages of the pipeline worker as plain functions over one frame's plan.

registration (skipped when the camera already aligns depth to colour) → detection + tracking →
per face ``prepare_face`` (crop 1.3×, depth fill and normalisation, IR quantisation, resize and
degrade; paper III-E/F, V-A2) → one engine call for the faces of every camera → decision. Each
stage records its time in the frame's ``StageTimings``; the worker thread only sequences them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from edge.decision import Decider, Verdict
from edge.detection.config import DetectionConfig
from edge.detection.finder import FaceFinder
from edge.detection.tracker import TrackedFace
from edge.frames import FrameSet
from edge.messages import BackendInfo, BoxPx, Decision, FaceDecision, ModelInfo, PIPELINE_STAGES
from edge.pipeline.capture import CapturedFrame
from edge.processing.face_input import FaceInput, prepare_face, to_batch
from edge.processing.registration import DepthRegistration
from edge.processing.spec import PreprocessSpec
from edge.timing import StageTimings
from engines.runtime.base import Engine


class CameraRuntime:
    """What the worker keeps per camera between frames: its tracker and its registration."""

    def __init__(self, camera_id: str, threshold_model: str, finder: FaceFinder) -> None:
        self.camera_id = camera_id
        self.threshold_model = threshold_model
        self.finder = finder
        self._registration: DepthRegistration | None = None
        self._registration_key: tuple | None = None

    def registration_for(self, frameset: FrameSet) -> DepthRegistration | None:
        """None when depth is already in colour geometry; otherwise the camera's registration,
        rebuilt only when its calibration changes (a different unit after a reconnect)."""
        if frameset.depth_is_colour_aligned:
            return None
        key = (frameset.depth_intrinsics, frameset.colour_intrinsics, frameset.depth_to_colour)
        if key != self._registration_key:
            self._registration = DepthRegistration.from_frameset(frameset)
            self._registration_key = key
            # Register a small central window once now: the compiled kernels are built on this
            # frame (before the daemon reports ready), not when the first face appears.
            h, w = frameset.colour_bgr.shape[:2]
            self._registration.region(frameset.depth_raw, frameset.depth_scale_mm,
                                      (w / 2 - 32, h / 2 - 32, w / 2 + 32, h / 2 + 32), frameset.ir)
        return self._registration


@dataclass
class FaceWork:
    tracked: TrackedFace
    face_input: FaceInput | None = None
    #: Why this face gets no score (not_enough_data); empty when it is scored.
    reason: str = ""
    #: Share of the face box with valid depth, when preprocessing refused the face for it.
    valid_depth_fraction: float | None = None
    live_score: float | None = None
    verdict: Verdict | None = None


@dataclass
class FramePlan:
    """One frame on its way through the stages."""

    captured: CapturedFrame
    camera: CameraRuntime
    timings: StageTimings = field(default_factory=StageTimings)
    faces: list[FaceWork] = field(default_factory=list)
    registration: DepthRegistration | None = None

    @property
    def frameset(self) -> FrameSet:
        return self.captured.frameset


def camera_finders(detection: DetectionConfig, camera_ids: list[str], parallel: bool) -> dict[str, FaceFinder]:
    """One FaceFinder (one tracker) per camera. Cameras whose fronts run in parallel each get a
    detector of their own (a loaded detector is not thread-safe); otherwise one serves them all."""
    if parallel and len(camera_ids) > 1:
        return {camera_id: FaceFinder(detection, detection.create_detector()) for camera_id in camera_ids}
    shared = detection.create_detector()
    return {camera_id: FaceFinder(detection, shared) for camera_id in camera_ids}


def start_plan(captured: CapturedFrame, camera: CameraRuntime) -> FramePlan:
    """The registration stage: the camera's depth→colour mapping, built once per calibration.
    The per-face registration of the face region runs inside ``prepare_face`` and is timed
    with preprocessing (registering only the face's region is what keeps it cheap)."""
    plan = FramePlan(captured, camera)
    plan.timings.add("capture_wait", captured.capture_wait_ms)
    with plan.timings.stage("registration"):
        plan.registration = camera.registration_for(captured.frameset)
    return plan


def find_faces(plan: FramePlan) -> None:
    """Detection and tracking (FaceFinder does both; timed together as detection)."""
    with plan.timings.stage("detection"):
        plan.faces = [FaceWork(t) for t in plan.camera.finder.find(plan.frameset)]


def prepare_inputs(plan: FramePlan, spec: PreprocessSpec) -> None:
    with plan.timings.stage("preprocessing"):
        for face in plan.faces:
            if face.tracked.state == "not_enough_data":
                face.reason = "face smaller than detection.min_face_px"
                continue
            try:
                prepared = prepare_face(plan.frameset, face.tracked.box_xyxy_px, spec,
                                        registration=plan.registration)
            except ValueError as e:  # e.g. a degenerate predicted box: this face, not the daemon
                face.reason = f"unusable face box: {e}"
                continue
            if isinstance(prepared, FaceInput):
                face.face_input = prepared
            else:
                face.reason = prepared.reason
                if _box_inside(face.tracked.box_xyxy_px, plan.frameset.colour_bgr.shape):
                    face.valid_depth_fraction = prepared.valid_depth_fraction


def _box_inside(box_xyxy_px, image_shape) -> bool:
    """The whole box lies on the image (a depth fraction of 0 then means no depth, not no pixels)."""
    x1, y1, x2, y2 = box_xyxy_px
    return x1 >= 0 and y1 >= 0 and x2 <= image_shape[1] and y2 <= image_shape[0]


def score_faces(plans: list[FramePlan], engine: Engine) -> None:
    """One engine call for the usable faces of every frame."""
    scored = [f for p in plans for f in p.faces if f.face_input is not None]
    if not scored:
        return
    start_ns = time.perf_counter_ns()
    scores = engine.infer(to_batch([f.face_input for f in scored]))
    inference_ms = (time.perf_counter_ns() - start_ns) / 1e6
    for face, score in zip(scored, scores):
        face.live_score = float(score)
    for plan in plans:  # every frame in the batch waited for the whole call
        if any(f.face_input is not None for f in plan.faces):
            plan.timings.add("inference", inference_ms)


def decide(plan: FramePlan, decider: Decider) -> None:
    fs = plan.frameset
    policy = decider.policy
    with plan.timings.stage("decision"):
        for face in plan.faces:
            x1, _, x2, _ = face.tracked.box_xyxy_px
            no_depth = face.valid_depth_fraction is not None and policy.no_depth_means_spoof(
                face.valid_depth_fraction, x2 - x1, fs.colour_intrinsics.fx_px)
            face.verdict = decider.decide(fs.camera_id, plan.camera.threshold_model, fs.frame_index,
                                          face.tracked.track_id, face.live_score, face.reason, no_depth)
        decider.end_frame(fs.camera_id, fs.frame_index)


def decision_message(plan: FramePlan, model: ModelInfo, backend: BackendInfo, threshold: float,
                     expiry_ms: int) -> Decision:
    """The message for the publisher (its schema: edge/schema/decision.v1.schema.json)."""
    fs = plan.frameset
    latency = {s: v for s, v in plan.timings.to_dict().items() if s in PIPELINE_STAGES}
    faces = []
    for face in plan.faces:
        x1, y1, x2, y2 = face.tracked.box_xyxy_px
        faces.append(FaceDecision(
            track_id=face.tracked.track_id,
            box=BoxPx(x_px=x1, y_px=y1, width_px=max(x2 - x1, 1e-3), height_px=max(y2 - y1, 1e-3)),
            detector_score=min(max(face.tracked.score, 0.0), 1.0),
            live_score=face.verdict.live_score,
            state=face.verdict.state.value,
            modality=face.tracked.modality,
            latency_ms=latency,
        ))
    capture_wall_ns = fs.timestamps.host_wall_ns
    return Decision(
        camera_id=fs.camera_id, frame_index=fs.frame_index, capture_wall_ns=capture_wall_ns,
        expires_wall_ns=capture_wall_ns + expiry_ms * 1_000_000, model=model, backend=backend,
        threshold=threshold, faces=faces,
    )


def face_crops(plan: FramePlan) -> tuple[np.ndarray | None, ...]:
    """Colour crops of each face's box (views, no copy), for the optional JPEG frames."""
    image = plan.frameset.colour_bgr
    h, w = image.shape[:2]
    crops = []
    for face in plan.faces:
        x1, y1, x2, y2 = (int(round(v)) for v in face.tracked.box_xyxy_px)
        x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
        crops.append(image[y1:y2, x1:x2] if x2 > x1 and y2 > y1 else None)
    return tuple(crops)
