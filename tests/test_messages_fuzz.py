"""The client never crashes on what arrives: random frames and mutated payloads (hypothesis)."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests._zmq_fixtures import sample_decision, sample_status
from edge import schema
from edge.message_check import Accepted, Rejected, decode
from edge.messages import DECISION_SCHEMA, STATUS_SCHEMA, Envelope, encode_payload

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_ENVELOPE = dict(schema_version=1, publisher_id="box", publisher_instance="f" * 32, sequence=3, topic_sequence=3)
DECISION_DOC = json.loads(encode_payload(Envelope(schema=DECISION_SCHEMA, publish_wall_ns=time.time_ns(), **_ENVELOPE),
                                         sample_decision(faces=3)))
STATUS_DOC = json.loads(encode_payload(Envelope(schema=STATUS_SCHEMA, publish_wall_ns=time.time_ns(), **_ENVELOPE),
                                       sample_status()))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(st.lists(st.binary(max_size=200), max_size=5))
def test_random_frames_are_rejected_never_raised(frames):
    result = decode(frames)
    assert isinstance(result, Rejected) and result.reason


@FUZZ
@given(st.sampled_from([b"fas/cam1/decision/", b"fas/cam1/status/"]), json_values)
def test_random_json_under_a_valid_topic_is_rejected(topic, value):
    result = decode([topic, json.dumps(value).encode()])
    assert isinstance(result, Rejected) and result.reason


def _mutate(document: dict, data) -> dict:
    """Replace, delete or add one field somewhere in the document."""
    mutated = json.loads(json.dumps(document))
    node = mutated
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, (dict, list)) and child and data.draw(st.booleans()):
            node = child
            continue
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            node[key] = data.draw(json_values)
        elif action == "delete":
            del node[key]
        elif isinstance(node, dict):
            node[data.draw(st.text(min_size=1, max_size=8))] = data.draw(json_values)
        else:
            node.append(data.draw(json_values))
        break
    return mutated


@FUZZ
@given(st.sampled_from([("decision", DECISION_DOC, DECISION_SCHEMA), ("status", STATUS_DOC, STATUS_SCHEMA)]),
       st.data())
def test_mutated_payloads_are_accepted_only_when_they_still_meet_the_schema(case, data):
    kind, document, name = case
    mutated = _mutate(document, data)
    result = decode([f"fas/cam1/{kind}/".encode(), json.dumps(mutated).encode()])
    if isinstance(result, Accepted):
        schema.validate(mutated, name, 1)  # must not raise: the client let it through
        assert result.camera_id == "cam1"
    else:
        assert isinstance(result, Rejected) and result.reason


def test_deeply_nested_json_is_rejected_not_a_crash():
    payload = b"[" * 100_000 + b"]" * 100_000
    result = decode([b"fas/cam1/decision/", payload])
    assert isinstance(result, Rejected)
