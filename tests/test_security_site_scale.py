"""Site scale (issue 10): one face-recognition host listening to many boxes, with ZeroMQ doing
the fan-in — one SUB socket connected to every daemon (each with its own CURVE server key), or a
``zmq.proxy`` forwarder (XSUB → XPUB) that the host's consumers connect to instead."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
import zmq

from edge.message_check import Accepted
from edge.publishing.publisher import Publisher
from edge.security.keys import load_public_key, write_key_pair
from edge.subscriber import Subscriber
from tests._security_fixtures import curve_config, make_keyring
from tests._zmq_fixtures import free_tcp_endpoint, sample_decision


@pytest.fixture
def two_boxes(tmp_path):
    """Two daemons' publishers, each with its own server key, both allowing the same client."""
    first = make_keyring(tmp_path / "box1")
    second_public, second_secret = write_key_pair(tmp_path / "box2", "server")
    config_one = curve_config(first, publisher_id="box1")
    config_two = curve_config(first, publisher_id="box2", curve_secret_key=str(second_secret))
    with Publisher(config_one) as one, Publisher(config_two) as two:
        client = first.allowed
        box_two_client = replace(client, server_public=load_public_key(second_public))
        yield {one.bound_endpoints[0]: (one, client), two.bound_endpoints[0]: (two, box_two_client)}


def _receive_from_both(publishers, subscriber: Subscriber, seconds: float = 20.0) -> dict[str, int]:
    counts = {"box1": 0, "box2": 0}
    frame = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and min(counts.values()) < 5:
        for publisher in publishers:
            publisher.queue.offer(sample_decision("cam1", frame_index=frame, ttl_ms=60_000))
        frame += 1
        message = subscriber.receive(timeout_ms=30)
        while message is not None:
            if isinstance(message, Accepted):
                counts[message.envelope.publisher_id] += 1
            message = subscriber.receive(timeout_ms=0)
    return counts


def test_one_sub_socket_listens_to_many_daemons_each_with_its_own_server_key(two_boxes):
    keys = {endpoint: client for endpoint, (_, client) in two_boxes.items()}
    publishers = [publisher for publisher, _ in two_boxes.values()]
    with Subscriber(list(keys), curve=keys) as subscriber:
        counts = _receive_from_both(publishers, subscriber)
    assert min(counts.values()) >= 5, counts


def test_a_zmq_proxy_forwards_many_daemons_to_local_consumers(two_boxes):
    """The host runs one forwarder: CURVE client of each box upstream, loopback XPUB downstream."""
    context = zmq.Context.instance()
    upstream = context.socket(zmq.XSUB)
    downstream = context.socket(zmq.XPUB)
    control = context.socket(zmq.PAIR)
    control.bind("inproc://forwarder-control")
    for endpoint, (_, client) in two_boxes.items():
        client.apply(upstream)
        upstream.connect(endpoint)
    local = free_tcp_endpoint()
    downstream.bind(local)

    def forward():
        steer = context.socket(zmq.PAIR)
        steer.connect("inproc://forwarder-control")
        zmq.proxy_steerable(upstream, downstream, None, steer)
        steer.close(linger=0)

    forwarder = threading.Thread(target=forward, daemon=True)
    forwarder.start()
    try:
        with Subscriber([local]) as consumer:
            counts = _receive_from_both([p for p, _ in two_boxes.values()], consumer)
    finally:
        control.send(b"TERMINATE")
        forwarder.join(5.0)
        for s in (upstream, downstream, control):
            s.close(linger=0)
    assert not forwarder.is_alive()
    assert min(counts.values()) >= 5, counts
