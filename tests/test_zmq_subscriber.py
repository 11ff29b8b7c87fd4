"""The subscriber client over real sockets: late joiners, gaps, repeats, stale and garbage messages."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import zmq

from tests._zmq_fixtures import PublisherProcess, sample_decision, sample_status
from edge import schema
from edge.message_check import Accepted, Rejected
from edge.messages import (
    DECISION_SCHEMA,
    SNAPSHOT_SCHEMA,
    STATUS_SCHEMA,
    Envelope,
    MessageKind,
    encode_payload,
    topic_for,
)
from edge.publishing.config import PublishConfig
from edge.subscriber import SnapshotUnavailable, Subscriber

LOOPBACK = PublishConfig(endpoints=["tcp://127.0.0.1:*"], snapshot_endpoints=["tcp://127.0.0.1:*"])


@pytest.fixture
def publisher_process():
    process = PublisherProcess(LOOPBACK)
    yield process
    process.kill()


@pytest.fixture
def raw_pub():
    """A bare PUB socket in the test: lets a test send exactly the frames it wants."""
    context = zmq.Context()
    pub = context.socket(zmq.PUB)
    pub.setsockopt(zmq.LINGER, 0)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    yield pub, f"tcp://127.0.0.1:{port}"
    pub.close()
    context.term()


def _wait_live(pub: zmq.Socket, sub: Subscriber, make_probe=lambda: sample_status("probe")) -> None:
    """Send probes (from another publisher id) until the subscriber sees one, then drain them:
    the subscription is live (ZeroMQ's slow-joiner handshake)."""
    instance = uuid.uuid4().hex
    for sequence in range(200):
        pub.send_multipart(_frames(make_probe(), sequence, instance=instance, publisher_id="probe"))
        if sub.receive(timeout_ms=50) is not None:
            while sub.receive(timeout_ms=100) is not None:
                pass
            return
    raise TimeoutError("subscriber never became live")


def _frames(body, topic_sequence: int, instance: str = "a" * 32, publisher_id: str = "raw",
            publish_wall_ns: int | None = None) -> list[bytes]:
    kind = MessageKind.STATUS if body.__class__.__name__ == "Status" else MessageKind.DECISION
    envelope = Envelope(
        schema=STATUS_SCHEMA if kind is MessageKind.STATUS else DECISION_SCHEMA,
        schema_version=1,
        publisher_id=publisher_id,
        publisher_instance=instance,
        sequence=topic_sequence,
        topic_sequence=topic_sequence,
        publish_wall_ns=time.time_ns() if publish_wall_ns is None else publish_wall_ns,
    )
    return [topic_for(kind, body.camera_id), encode_payload(envelope, body)]


def _next(sub: Subscriber, kind: MessageKind | None = None) -> Accepted | Rejected:
    while True:
        message = sub.receive(timeout_ms=5000)
        assert message is not None, "nothing arrived within 5 s"
        if kind is None or isinstance(message, Rejected) or message.kind is kind:
            return message


def test_late_joiner_gets_current_state_then_live_updates_without_a_gap(publisher_process):
    publisher_process.ask("publish cam1 5 1 1 0 60000", "DONE")
    publisher_process.ask("publish cam2 3 1 2 0 60000", "DONE")
    publisher_process.send("status cam1")
    publisher_process.ask("counters", "COUNTERS")  # the status has been handed over by now
    with Subscriber(publisher_process.endpoints, snapshot_endpoints=publisher_process.snapshot_endpoints) as sub:
        state = sub.snapshot()
        assert all(isinstance(m, Accepted) and m.from_snapshot for m in state), state
        by_topic = {m.topic: m for m in state}
        assert set(by_topic) == {b"fas/cam1/decision/", b"fas/cam2/decision/", b"fas/cam1/status/"}
        assert by_topic[b"fas/cam1/decision/"].body.frame_index == 4
        assert by_topic[b"fas/cam1/decision/"].envelope.topic_sequence == 4
        assert by_topic[b"fas/cam2/decision/"].body.frame_index == 2
        assert len(by_topic[b"fas/cam2/decision/"].body.faces) == 2
        publisher_process.wait_until_live(sub, "cam3")
        publisher_process.ask("publish cam1 3 1 1 0 60000", "DONE")
        live = [_next(sub, MessageKind.DECISION) for _ in range(3)]
    assert [m.envelope.topic_sequence for m in live] == [5, 6, 7]
    assert all(not m.from_snapshot and m.missed == 0 for m in live)


def test_snapshot_is_filtered_by_camera_and_a_missing_endpoint_says_so(publisher_process):
    publisher_process.ask("publish cam1 2 1 1 0 60000", "DONE")
    publisher_process.ask("publish cam2 2 1 1 0 60000", "DONE")
    with Subscriber(publisher_process.endpoints, cameras=["cam2"],
                    snapshot_endpoints=publisher_process.snapshot_endpoints) as sub:
        assert {m.camera_id for m in sub.snapshot()} == {"cam2"}
    with Subscriber(publisher_process.endpoints, snapshot_endpoints=["tcp://127.0.0.1:9"]) as sub:
        with pytest.raises(SnapshotUnavailable, match="did not answer within 200 ms"):
            sub.snapshot(timeout_ms=200)


def test_expired_decisions_from_the_publisher_are_rejected_with_the_reason(publisher_process):
    with Subscriber(publisher_process.endpoints, cameras=["cam1"]) as sub:
        publisher_process.wait_until_live(sub, "cam1")
        publisher_process.ask("publish cam1 3 1 1 0 0.001", "DONE")  # a TTL of 1 µs
        refused = [_next(sub) for _ in range(3)]
        while (message := sub.receive(timeout_ms=200)) is not None:  # any warm-up status still queued
            refused.append(message)
        refused = [m for m in refused if isinstance(m, Rejected)]
    assert len(refused) == 3
    assert all(m.reason.startswith("expired") and m.topic == b"fas/cam1/decision/" for m in refused)


def test_gaps_are_reported_and_repeats_skipped(raw_pub):
    pub, endpoint = raw_pub
    with Subscriber(endpoint, cameras=["cam1"], kinds=["decision"]) as sub:
        _wait_live(pub, sub, make_probe=lambda: sample_decision("cam1"))
        probes = sub.counts["accepted"]
        for sequence in (0, 1, 4, 4, 5):
            pub.send_multipart(_frames(sample_decision("cam1", frame_index=sequence), sequence))
        received = [_next(sub) for _ in range(4)]
        assert sub.receive(timeout_ms=200) is None
    assert [m.envelope.topic_sequence for m in received] == [0, 1, 4, 5]
    assert [m.missed for m in received] == [0, 0, 2, 0]
    assert sub.counts["accepted"] - probes == 4
    assert (sub.counts["repeats"], sub.counts["gaps"], sub.counts["missed"], sub.counts["rejected"]) == (1, 1, 2, 0)


def test_garbage_and_stale_messages_are_rejected_with_reasons_and_the_stream_goes_on(raw_pub):
    pub, endpoint = raw_pub
    valid = _frames(sample_decision("cam1"), 0)
    old_status = _frames(sample_status("cam1", period_s=1.0), 0, publish_wall_ns=time.time_ns() - 10 * 10**9)
    wrong_camera = [b"fas/cam2/decision/", valid[1]]
    garbage = [
        ([b"fas/cam1/decision/"], "got 1 frame"),
        ([b"fas/cam1/decision/", b"\xff\xfe\x00"], "not UTF-8"),
        ([b"fas/cam1/decision/", b"{not json"], "not JSON"),
        ([b"fas/cam1/decision/", b"[1, 2]"], "not an object"),
        ([b"fas/cam1/decision/", b'{"schema": "other"}'], "unknown schema"),
        ([b"fas/cam1/decision/", valid[1].replace(b'"schema_version":1', b'"schema_version":7')], "unsupported"),
        ([b"fas/cam1/decision/", valid[1].replace(b'"threshold":0.42', b'"threshold":"high"')], "threshold"),
        ([b"fas/cam1/decision/", valid[1].replace(b'"frame_index":0', b'"frame_index":NaN')], "not JSON"),
        ([b"fas/cam1/status/", valid[1]], "topic says status"),
        ([b"fas/cam1/whatever/", valid[1]], "kind 'whatever'"),
        ([*valid, b"\xff\xd8stray"], "extra frame"),
        (wrong_camera, "differs from payload camera_id"),
        (old_status, "stale status"),
    ]
    with Subscriber(endpoint) as sub:
        _wait_live(pub, sub)
        for frames, _ in garbage:
            pub.send_multipart(frames)
        pub.send_multipart(valid)
        results = [_next(sub) for _ in range(len(garbage) + 1)]
    for (frames, expected), result in zip(garbage, results):
        assert isinstance(result, Rejected), (frames, result)
        assert expected in result.reason, (expected, result.reason)
    assert isinstance(results[-1], Accepted) and results[-1].body.camera_id == "cam1"


def test_a_malformed_snapshot_request_gets_an_error_reply_not_silence(publisher_process):
    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(publisher_process.snapshot_endpoints[0])
    try:
        dealer.send_multipart([b"GIVE ME EVERYTHING"])
        assert dealer.poll(5000), "no reply to a malformed request"
        reply = dealer.recv_multipart()
    finally:
        dealer.close()
        context.term()
    assert len(reply) == 1
    header = json.loads(reply[0])
    schema.validate(header, SNAPSHOT_SCHEMA, 1)
    assert "bad request" in header["error"] and header["cameras"] == []


def test_one_subscriber_on_two_daemons_tracks_each_publisher_separately():
    daemons = [PublisherProcess(PublishConfig(endpoints=["tcp://127.0.0.1:*"],
                                              snapshot_endpoints=["tcp://127.0.0.1:*"], publisher_id=name))
               for name in ("box-a", "box-b")]
    try:
        for daemon in daemons:
            daemon.ask("publish cam1 4 1 1 0 60000", "DONE")
        endpoints = [d.endpoints[0] for d in daemons]
        snapshots = [d.snapshot_endpoints[0] for d in daemons]
        with Subscriber(endpoints, cameras=["cam1"], snapshot_endpoints=snapshots) as sub:
            state = sub.snapshot()
            for daemon in daemons:  # one after the other, so each proves its own connection
                daemon.wait_until_live(sub, "cam1")
                while sub.receive(timeout_ms=200) is not None:  # the rest of the warm-up
                    pass
            for daemon in daemons:
                daemon.ask("publish cam1 3 1 1 0 60000", "DONE")
            live = []
            while len(live) < 6:
                message = _next(sub, MessageKind.DECISION)
                assert isinstance(message, Accepted), message
                live.append(message)
    finally:
        for daemon in daemons:
            daemon.kill()
    assert sorted(m.envelope.publisher_id for m in state) == ["box-a", "box-b"]
    assert all(m.body.frame_index == 3 for m in state)
    for name in ("box-a", "box-b"):
        mine = [m for m in live if m.envelope.publisher_id == name]
        assert [m.envelope.topic_sequence for m in mine] == [4, 5, 6]  # continuing from its snapshot
        assert all(m.missed == 0 for m in mine)
    assert sub.counts["gaps"] == 0
