"""The worker's stages as plain functions on simulated frames: faces found, registered and
prepared, scored in one engine call across cameras, decided, and turned into messages."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scene import FaceSpec, Presentation, Scene
from edge.decision import Decider, DecisionPolicy
from edge.detection.config import DetectionConfig
from edge.detection.finder import FaceFinder
from edge.frames import Geometry
from edge.messages import BackendInfo, FaceState, ModelInfo
from edge.pipeline.capture import CapturedFrame
from edge.pipeline.slot import LatestFrameSlots
from edge.pipeline.stages import (CameraRuntime, camera_finders, decide, decision_message, find_faces,
                                  prepare_inputs, score_faces, start_plan)
from edge.pipeline.worker import PipelineWorker
from edge.processing.registration import DepthRegistration
from edge.processing.spec import PreprocessSpec
from edge.publishing.handoff import PublishQueue
from engines.runtime import load_engine
from tests._engine_fixtures import export_tiny_onnx

SPEC = PreprocessSpec()
MODEL = ModelInfo(id="afa:tiny.onnx", sha256="0" * 64)
BACKEND = BackendInfo(name="onnxruntime")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return load_engine(export_tiny_onnx(tmp_path_factory.mktemp("engine")), threads=1)


@pytest.fixture(scope="module")
def frames():
    renderer = SimRenderer("sr300", seed=3)
    one = Scene(faces=(FaceSpec(Presentation.LIVE, identity=5, distance_mm=600.0),))
    two = Scene(faces=(FaceSpec(Presentation.LIVE, identity=5, distance_mm=650.0, position=(0.3, 0.45)),
                       FaceSpec(Presentation.PRINT_COLOUR, identity=8, distance_mm=700.0,
                                position=(0.72, 0.45))))
    return {"one": renderer.render(one, 0), "two": renderer.render(two, 0)}


def _runtime(camera_id: str) -> CameraRuntime:
    return CameraRuntime(camera_id, "sr300", FaceFinder(DetectionConfig()))


def _plan(frameset, camera_id="cam1", runtime=None):
    frameset = dataclasses.replace(frameset, camera_id=camera_id)
    plan = start_plan(CapturedFrame(frameset, capture_wait_ms=12.5), runtime or _runtime(camera_id))
    find_faces(plan)
    prepare_inputs(plan, SPEC)
    return plan


def test_one_frame_through_every_stage(frames, engine):
    plan = _plan(frames["one"])
    assert plan.registration is not None  # sr300 depth is in the depth sensor's geometry
    assert len(plan.faces) == 1 and plan.faces[0].face_input is not None
    score_faces([plan], engine)
    decider = Decider({"sr300": 0.4, "default": 0.5}, 0.0)
    decide(plan, decider)
    face = plan.faces[0]
    assert 0.0 <= face.live_score <= 1.0
    expected = FaceState.LIVE if face.live_score >= 0.4 else FaceState.SPOOF
    assert face.verdict.state is expected and face.verdict.threshold == 0.4
    message = decision_message(plan, MODEL, BACKEND, 0.4, expiry_ms=500)
    assert message.expires_wall_ns - message.capture_wall_ns == 500_000_000
    (out,) = message.faces
    assert out.live_score == pytest.approx(face.live_score) and out.state is expected
    assert out.latency_ms["capture_wait"] == 12.5
    assert {"registration", "detection", "preprocessing", "inference", "decision"} <= set(out.latency_ms)
    truth = frames["one"].truth.faces[0].box_xywh_px
    assert abs(out.box.x_px - truth[0]) < 0.3 * truth[2]  # the box is where the face is


def test_faces_of_two_cameras_share_one_engine_call(frames, engine):
    plans = [_plan(frames["one"], "cam1"), _plan(frames["two"], "cam2")]
    assert [len(p.faces) for p in plans] == [1, 2]
    score_faces(plans, engine)
    # One call: both frames carry the very same measured inference time.
    assert plans[0].timings.ms["inference"] == plans[1].timings.ms["inference"] > 0.0
    assert all(f.live_score is not None for p in plans for f in p.faces)
    solo = _plan(frames["two"], "cam3")
    score_faces([solo], engine)
    np.testing.assert_allclose([f.live_score for f in plans[1].faces],
                               [f.live_score for f in solo.faces], atol=1e-6)  # batching changes nothing


def test_aligned_depth_skips_registration(frames):
    fs = frames["one"]
    registered = DepthRegistration.from_frameset(fs).full(fs.depth_raw, fs.depth_scale_mm, fs.ir)
    aligned = dataclasses.replace(
        fs, depth_raw=np.round(registered.depth_mm / fs.depth_scale_mm).astype(np.uint16),
        ir=registered.ir, depth_intrinsics=fs.colour_intrinsics, depth_geometry=Geometry.COLOUR,
        ir_geometry=Geometry.COLOUR)
    plan = _plan(aligned)
    assert plan.registration is None
    assert plan.faces and plan.faces[0].face_input is not None


def test_a_near_face_without_depth_is_spoof_by_the_no_depth_rule_else_not_enough_data(frames, engine):
    fs = frames["one"]
    no_depth = dataclasses.replace(fs, depth_raw=np.zeros_like(fs.depth_raw))
    plan = _plan(no_depth)
    assert plan.faces and plan.faces[0].face_input is None
    assert "valid depth" in plan.faces[0].reason and plan.faces[0].valid_depth_fraction == 0.0
    score_faces([plan], engine)
    decide(plan, Decider({"default": 0.5}, 0.0))
    (face,) = decision_message(plan, MODEL, BACKEND, 0.5, expiry_ms=500).faces
    assert face.state is FaceState.SPOOF and face.live_score == 0.0

    decide(plan, Decider({"default": 0.5}, 0.0, DecisionPolicy(no_depth_is_spoof=False)))
    (face,) = decision_message(plan, MODEL, BACKEND, 0.5, expiry_ms=500).faces
    assert face.state is FaceState.NOT_ENOUGH_DATA and face.live_score is None


def test_worker_process_hands_one_decision_per_frame_to_the_queue(frames, engine):
    queue = PublishQueue(capacity=8)
    worker = PipelineWorker(LatestFrameSlots(["cam1", "cam2"]),
                            {c: _runtime(c) for c in ("cam1", "cam2")}, engine,
                            Decider({"default": 0.5}, 0.0, DecisionPolicy(expiry_ms=250)), SPEC,
                            queue, MODEL, BACKEND, jpeg_crops=True)
    worker.process({c: CapturedFrame(dataclasses.replace(frames["two"], camera_id=c), 3.0)
                    for c in ("cam1", "cam2")})
    items = queue.drain()
    queue.close()
    assert sorted(i.body.camera_id for i in items) == ["cam1", "cam2"]
    for item in items:
        assert len(item.body.faces) == 2 and len(item.crops) == 2
        assert all(c is not None and c.ndim == 3 for c in item.crops)
    assert worker.cycles == 1
    assert worker.counters["cam1"].latency.percentiles("detection")["count"] == 1


def test_parallel_fronts_give_each_camera_its_own_detector_and_the_same_decisions(frames, engine):
    parallel = camera_finders(DetectionConfig(), ["cam1", "cam2"], parallel=True)
    sequential = camera_finders(DetectionConfig(), ["cam1", "cam2"], parallel=False)
    assert parallel["cam1"].policy.detector is not parallel["cam2"].policy.detector  # not thread-safe: never shared
    assert sequential["cam1"].policy.detector is sequential["cam2"].policy.detector
    assert parallel["cam1"].tracker is not parallel["cam2"].tracker

    def decisions(finders, parallel_cameras):
        queue = PublishQueue(capacity=8)
        worker = PipelineWorker(LatestFrameSlots(list(finders)),
                                {c: CameraRuntime(c, "sr300", f) for c, f in finders.items()}, engine,
                                Decider({"default": 0.5}, 0.0, DecisionPolicy(expiry_ms=250)), SPEC,
                                queue, MODEL, BACKEND, parallel_cameras=parallel_cameras)
        good = {"cam1": CapturedFrame(dataclasses.replace(frames["two"], camera_id="cam1"), 3.0),
                "cam2": CapturedFrame(dataclasses.replace(frames["one"], camera_id="cam2"), 3.0)}
        malformed = dataclasses.replace(frames["one"], camera_id="cam2",
                                        colour_bgr=frames["one"].colour_bgr[:, :, 0])
        worker.process(good)
        worker.process({"cam1": good["cam1"], "cam2": CapturedFrame(malformed, 3.0)})
        fronts = {t.name for t in threading.enumerate() if t.name.startswith("pipeline-front")}
        worker.close()
        items = queue.drain()
        queue.close()
        return items, worker.counters["cam2"].bad_frames, fronts

    items, bad, fronts = decisions(parallel, parallel_cameras=True)
    alone, alone_bad, _ = decisions(sequential, parallel_cameras=False)
    assert len(fronts) == 2, fronts  # one thread per camera ran a front
    # Both frames of cam1 and the good frame of cam2 are decided; the malformed one is counted.
    assert [i.body.camera_id for i in items] == ["cam1", "cam2", "cam1"] and bad == alone_bad == 1
    assert [[f.live_score for f in i.body.faces] for i in items] == \
        [[f.live_score for f in i.body.faces] for i in alone]
    assert [[f.box for f in i.body.faces] for i in items] == [[f.box for f in i.body.faces] for i in alone]
