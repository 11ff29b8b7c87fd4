"""Typed messages against the versioned JSON Schema files, topics, and the config's errors."""

from __future__ import annotations

import json
import time

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests._zmq_fixtures import BACKEND, MODEL, sample_decision, sample_status
from edge import schema
from edge.message_check import Accepted, Rejected, decode, staleness
from edge.messages import (
    DECISION_SCHEMA,
    PIPELINE_STAGES,
    STATUS_SCHEMA,
    BoxPx,
    Decision,
    Envelope,
    FaceDecision,
    FaceState,
    MessageKind,
    Modality,
    encode_payload,
    parse_topic,
    topic_for,
)
from edge.publishing.config import PublishConfig

INSTANCE = "0123456789abcdef" * 2


def _envelope(name: str, sequence: int = 0, publish_wall_ns: int | None = None) -> Envelope:
    return Envelope(schema=name, schema_version=1, publisher_id="box", publisher_instance=INSTANCE,
                    sequence=sequence, topic_sequence=sequence,
                    publish_wall_ns=time.time_ns() if publish_wall_ns is None else publish_wall_ns)


unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
faces = st.builds(
    lambda track, x, y, w, h, det, live, state, modality, stages: FaceDecision(
        track_id=track, box=BoxPx(x_px=x, y_px=y, width_px=w, height_px=h), detector_score=det,
        live_score=None if state is FaceState.NOT_ENOUGH_DATA else live, state=state, modality=modality,
        latency_ms=stages),
    st.integers(0, 2**40), st.floats(-50, 2000), st.floats(-50, 2000), st.floats(1, 800), st.floats(1, 800),
    unit, unit, st.sampled_from(FaceState), st.sampled_from(Modality),
    st.dictionaries(st.sampled_from(PIPELINE_STAGES), st.floats(0, 1e4)),
)
decisions = st.builds(
    lambda camera, frame, capture, ttl, threshold, face_list: Decision(
        camera_id=camera, frame_index=frame, capture_wall_ns=capture, expires_wall_ns=capture + ttl,
        model=MODEL, backend=BACKEND, threshold=threshold, faces=face_list),
    st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,20}\Z"), st.integers(0, 2**53), st.integers(0, 2**62),
    st.integers(1, 10**12), unit, st.lists(faces, max_size=6),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decisions)
def test_every_decision_the_model_allows_validates_and_round_trips(decision):
    payload = encode_payload(_envelope(DECISION_SCHEMA), decision)
    schema.validate(json.loads(payload), DECISION_SCHEMA, 1)
    result = decode([topic_for(MessageKind.DECISION, decision.camera_id), payload])
    assert isinstance(result, Accepted), result
    assert result.body == decision


def test_status_round_trips_and_validates():
    status = sample_status("cam7")
    payload = encode_payload(_envelope(STATUS_SCHEMA), status)
    schema.validate(json.loads(payload), STATUS_SCHEMA, 1)
    result = decode([b"fas/cam7/status/", payload])
    assert isinstance(result, Accepted) and result.body == status and result.kind is MessageKind.STATUS


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d["faces"][0].update(live_score=None), "faces/0"),  # a live face needs a score
        (lambda d: d["faces"][0].update(state="maybe"), "faces/0/state"),
        (lambda d: d.update(camera_id="cam/1"), "camera_id"),
        (lambda d: d.update(colour="red"), "(top level)"),
        (lambda d: d.update(sequence=-1), "sequence"),
        (lambda d: d["faces"][0]["latency_ms"].update(warp=1.0), "faces/0/latency_ms"),
        (lambda d: d["model"].update(sha256="xyz"), "model/sha256"),
        (lambda d: d.pop("expires_wall_ns"), "(top level)"),
    ],
)
def test_the_schema_refuses_what_the_contract_forbids_and_names_the_field(edit, field):
    document = json.loads(encode_payload(_envelope(DECISION_SCHEMA), sample_decision(faces=1)))
    edit(document)
    with pytest.raises(schema.PayloadInvalid) as raised:
        schema.validate(document, DECISION_SCHEMA, 1)
    assert f"field {field}" in str(raised.value)


def test_the_models_refuse_inconsistent_decisions_with_the_fix():
    with pytest.raises(pydantic.ValidationError, match="needs a live_score"):
        FaceDecision(track_id=1, box=BoxPx(x_px=0, y_px=0, width_px=10, height_px=10), detector_score=0.9,
                     state=FaceState.LIVE)
    with pytest.raises(pydantic.ValidationError, match="positive TTL"):
        sample_decision(ttl_ms=0)
    with pytest.raises(pydantic.ValidationError, match="camera_id"):
        sample_decision(camera_id="cam 1")


def test_topics_are_delimited_so_one_camera_is_not_a_prefix_of_another():
    assert topic_for(MessageKind.DECISION, "cam1") == b"fas/cam1/decision/"
    assert not topic_for(MessageKind.DECISION, "cam10").startswith(b"fas/cam1/")
    assert parse_topic(b"fas/cam10/status/") == (MessageKind.STATUS, "cam10")
    for bad in (b"fas/cam1/decision", b"fas/cam1/decision/x/", b"fas/cam1/alarm/", b"\xff"):
        with pytest.raises(ValueError):
            parse_topic(bad)


def test_staleness_uses_the_decision_expiry_and_the_status_period():
    now = time.time_ns()
    fresh = decode([b"fas/cam1/decision/", encode_payload(_envelope(DECISION_SCHEMA), sample_decision())])
    assert staleness(fresh, now) is None
    late = now + 6 * 10**9  # the sample decision lives 5 s
    assert staleness(fresh, late).startswith("expired")
    assert staleness(fresh, late, grace_ms=2000) is None
    status = decode([b"fas/cam1/status/", encode_payload(_envelope(STATUS_SCHEMA), sample_status(period_s=0.5))])
    assert staleness(status, now + 10**9) is None
    assert "stale status" in staleness(status, now + 2 * 10**9)


def test_crop_frames_must_match_what_the_payload_announces():
    decision = sample_decision(faces=2)
    with_crop = decision.model_copy(update={"faces": [decision.faces[0].model_copy(update={"crop_frame": 2}),
                                                      decision.faces[1]]})
    payload = encode_payload(_envelope(DECISION_SCHEMA), with_crop)
    ok = decode([b"fas/cam1/decision/", payload, b"\xff\xd8jpeg"])
    assert isinstance(ok, Accepted) and ok.crops == (b"\xff\xd8jpeg", None)
    missing = decode([b"fas/cam1/decision/", payload])
    assert isinstance(missing, Rejected) and "announces crop frames [2]" in missing.reason


def test_publish_config_errors_name_the_key_and_the_fix():
    with pytest.raises(pydantic.ValidationError, match=r"publish\.endpoints: endpoint 'udp://x' .* use tcp://"):
        PublishConfig(endpoints=["udp://x"])
    with pytest.raises(pydantic.ValidationError, match="needs its own port"):
        PublishConfig(endpoints=["tcp://127.0.0.1:6000"], snapshot_endpoints=["tcp://127.0.0.1:6000"])
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        PublishConfig(endpoint="tcp://127.0.0.1:6000")
    with pytest.raises(pydantic.ValidationError, match="send_hwm"):
        PublishConfig(send_hwm=0)
    assert PublishConfig().endpoints == ["tcp://127.0.0.1:5560"]
