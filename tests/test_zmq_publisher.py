"""The publisher over real sockets, with the publisher in its own process (issue 6 item 6)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
import zmq

from tests._zmq_fixtures import PublisherProcess, sample_decision
from edge import schema
from edge.message_check import Accepted
from edge.messages import DECISION_SCHEMA, MessageKind
from edge.publishing.config import PublishConfig
from edge.publishing.publisher import PublishBindError, Publisher
from edge.subscriber import Subscriber


@pytest.fixture
def publisher_process(request):
    config = getattr(request, "param", None) or PublishConfig(
        endpoints=["tcp://127.0.0.1:*"], snapshot_endpoints=["tcp://127.0.0.1:*"], publisher_id="test-box"
    )
    process = PublisherProcess(config)
    yield process
    process.kill()


def test_subscriber_in_another_process_receives_every_decision_valid_and_gapless(publisher_process):
    with Subscriber(publisher_process.endpoints, cameras=["cam1"]) as sub:
        publisher_process.wait_until_live(sub, "cam1")
        done = publisher_process.ask("publish cam1 200 1 2 0 5000", "DONE")
        decisions = []
        while len(decisions) < 200:
            message = sub.receive(timeout_ms=5000)
            assert message is not None, f"only {len(decisions)} of 200 decisions arrived"
            assert isinstance(message, Accepted), message
            if message.kind is MessageKind.DECISION:
                decisions.append(message)
    assert done["queue_dropped"] == 0 and done["hwm_dropped"] == {}
    assert [m.body.frame_index for m in decisions] == list(range(200))
    sequences = [m.envelope.sequence for m in decisions]
    assert sequences == list(range(sequences[0], sequences[0] + 200)), "publisher-wide sequence has a gap"
    assert [m.envelope.topic_sequence for m in decisions] == list(range(200))
    assert all(m.missed == 0 for m in decisions) and sub.counts["gaps"] == 0
    assert {m.envelope.publisher_id for m in decisions} == {"test-box"}
    assert all(len(m.body.faces) == 2 for m in decisions)


def test_raw_payloads_validate_against_the_schema_file_and_topics_are_delimited(publisher_process):
    # A plain SUB (no client library): what any consumer in any language would see.
    context = zmq.Context()
    raw = context.socket(zmq.SUB)
    raw.setsockopt(zmq.LINGER, 0)
    raw.subscribe(b"fas/cam1/")
    raw.connect(publisher_process.endpoints[0])
    try:
        with Subscriber(publisher_process.endpoints, cameras=["cam1"]) as sub:
            publisher_process.wait_until_live(sub, "cam1")
            publisher_process.ask("publish cam10 20 1 1 0 5000", "DONE")
            publisher_process.ask("publish cam1 20 1 1 0 5000", "DONE")
        frames = []
        while raw.poll(1000):
            frames.append(raw.recv_multipart())
    finally:
        raw.close()
        context.term()
    decisions = [f for f in frames if f[0] == b"fas/cam1/decision/"]
    assert len(decisions) == 20
    assert not [f for f in frames if f[0].startswith(b"fas/cam10/")], "a cam1 subscription matched cam10"
    for topic, payload in decisions:
        document = json.loads(payload)
        schema.validate(document, DECISION_SCHEMA, 1)
        assert document["camera_id"] == "cam1"


def test_a_subscriber_that_never_reads_costs_the_others_nothing_and_is_counted(tmp_path):
    # ipc: its small kernel buffers make the stalled subscriber's queue overflow after about
    # send_hwm messages, while the reader has the same send_hwm of slack on a busy machine.
    config = PublishConfig(endpoints=[f"ipc://{tmp_path}/pub"], snapshot_endpoints=[f"ipc://{tmp_path}/snap"],
                           send_hwm=500, queue_capacity=1000, jpeg_crops=True)
    count = 1500
    process = PublisherProcess(config)
    try:
        with Subscriber(process.endpoints, cameras=["cam1"], kinds=["decision"], receive_hwm=1) as stalled, \
                Subscriber(process.endpoints, cameras=["cam1"], receive_hwm=100_000,
                           expiry_grace_ms=60_000) as reader:  # freshness is not the point here
            process.wait_until_live(reader, "cam1")
            done = process.ask(f"publish cam1 {count} 1 2 16 60000", "DONE")
            process.send("status cam1")
            decisions, status = [], None
            while len(decisions) < count or status is None:
                message = reader.receive(timeout_ms=10_000)
                assert isinstance(message, Accepted), message
                if message.kind is MessageKind.DECISION:
                    decisions.append(message)
                elif len(decisions) == count:  # not a warm-up status: the one asked for after the burst
                    status = message.body
            stalled_frames = []
            while (message := stalled.receive(timeout_ms=500)) is not None:
                stalled_frames.append(message.body.frame_index)
            # Now that it reads again, one more decision turns the loss at the tail into a gap.
            process.ask("publish cam1 1 1 1 0 60000", "DONE")
            while (message := stalled.receive(timeout_ms=500)) is not None:
                stalled_frames.append(message.body.frame_index)
        stop = process.quit()
    finally:
        process.kill()
    # The worker side never waited: nothing was dropped from the hand-off queue.
    assert done["queue_dropped"] == 0
    # The reading subscriber got every single decision, crops included...
    assert [m.body.frame_index for m in decisions] == list(range(count))
    assert all(m.missed == 0 for m in decisions)
    assert all(crop is not None and crop[:2] == b"\xff\xd8" for m in decisions for crop in m.crops)
    # ...while the stalled one lost most of them, saw exactly how many as gaps,
    lost = count + 1 - len(stalled_frames)
    assert lost > 300 and stalled.counts["missed"] == lost
    # ...and the publisher noticed and says so in the status (a lower bound: see edge.publishing.publisher).
    assert 1 <= done["hwm_dropped"]["cam1"] <= lost
    assert status.drops.publish_hwm >= done["hwm_dropped"]["cam1"]
    assert status.subscribers == 2
    assert status.latency_ms["capture_to_publish"].count > 0
    assert stop["stop_s"] < 2.0, "stopping with a stalled subscriber must not hang (bounded linger)"


def test_endpoint_already_in_use_is_a_clear_error_before_anything_is_published(publisher_process):
    taken = publisher_process.endpoints[0]
    publisher = Publisher(PublishConfig(endpoints=[taken], snapshot_endpoints=["tcp://127.0.0.1:*"]))
    with pytest.raises(PublishBindError) as raised:
        publisher.start()
    message = str(raised.value)
    assert "publish.endpoints" in message and taken in message and "already in use" in message
    assert publisher.counters().messages_sent == 0
    # The same for the snapshot socket, named by its own key.
    publisher = Publisher(PublishConfig(endpoints=["tcp://127.0.0.1:*"],
                                        snapshot_endpoints=publisher_process.snapshot_endpoints))
    with pytest.raises(PublishBindError, match=r"publish\.snapshot_endpoints: .*already in use"):
        publisher.start()


def test_a_live_ipc_path_is_not_stolen_from_the_daemon_holding_it(tmp_path):
    endpoint = f"ipc://{tmp_path}/pub.sock"
    holder = PublisherProcess(PublishConfig(endpoints=[endpoint], snapshot_endpoints=[f"ipc://{tmp_path}/snap.sock"]))
    try:
        publisher = Publisher(PublishConfig(endpoints=[endpoint], snapshot_endpoints=["tcp://127.0.0.1:*"]))
        with pytest.raises(PublishBindError, match="already in use"):
            publisher.start()
        # The holder still serves its subscribers.
        with Subscriber(endpoint, cameras=["cam1"]) as sub:
            holder.wait_until_live(sub, "cam1")
            holder.ask("publish cam1 3 1 1 0 5000", "DONE")
            frames = []
            while len(frames) < 3:
                message = sub.receive(timeout_ms=5000)
                assert isinstance(message, Accepted), message
                if message.kind is MessageKind.DECISION:
                    frames.append(message.body.frame_index)
        assert frames == [0, 1, 2]
    finally:
        holder.kill()


def test_subscriber_count_follows_connections(publisher_process):
    def wait_for(expected: int, timeout_s: float = 10.0) -> int:
        deadline = time.monotonic() + timeout_s
        while (count := publisher_process.ask("counters", "COUNTERS")["subscribers"]) != expected:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return count

    endpoint = publisher_process.endpoints[0]
    other_process = subprocess.Popen([sys.executable, "-m", "edge.cli.sub", "--endpoint", endpoint, "--json"],
                                     stdout=subprocess.DEVNULL)
    try:
        with Subscriber(endpoint), Subscriber(endpoint, cameras=["cam1"]):
            assert wait_for(3) == 3
        assert wait_for(1) == 1
        other_process.kill()  # no goodbye: the kernel closes its socket
        assert wait_for(0) == 0
    finally:
        other_process.kill()
        other_process.wait(10)


def test_a_crop_opencv_cannot_encode_loses_only_that_crop():
    config = PublishConfig(endpoints=["tcp://127.0.0.1:*"], snapshot_endpoints=["tcp://127.0.0.1:*"],
                           jpeg_crops=True)
    good = np.full((40, 32, 3), 128, np.uint8)
    two_channels = np.zeros((40, 32, 2), np.uint8)
    with Publisher(config) as publisher, Subscriber(publisher.bound_endpoints, cameras=["cam1"],
                                                    kinds=["decision"]) as sub:
        for frame_index in range(200):  # until the subscription is live
            publisher.queue.offer(sample_decision("cam1", frame_index=frame_index, faces=2),
                                  crops=(good, two_channels))
            if (message := sub.receive(timeout_ms=50)) is not None:
                break
        errors = publisher.counters().publish_errors
    assert isinstance(message, Accepted), message
    assert message.crops[0][:2] == b"\xff\xd8" and message.crops[1] is None
    assert [face.crop_frame for face in message.body.faces] == [2, None]
    assert errors == 0
