"""CURVE with a ZAP allow-list on real loopback sockets (issue 10): who receives decisions and
snapshots, who receives nothing, and that nothing sent to the daemon's ports becomes a decision."""

from __future__ import annotations

import json
import time

import pytest
import zmq

from edge.message_check import Accepted
from edge.messages import MessageKind
from edge.publishing.publisher import Publisher
from edge.security.client import CurveClientKeys
from edge.publishing.snapshot import SNAPSHOT_REQUEST
from edge.subscriber import SnapshotUnavailable, Subscriber
from tests._security_fixtures import curve_config, make_keyring, publish_until


@pytest.fixture
def keys(tmp_path):
    return make_keyring(tmp_path)


@pytest.fixture
def publisher(keys):
    with Publisher(curve_config(keys)) as running:
        yield running


def test_only_the_allow_listed_subscriber_receives_decisions(keys, publisher):
    with Subscriber(publisher.bound_endpoints, curve=keys.allowed) as allowed, \
            Subscriber(publisher.bound_endpoints, curve=keys.stranger) as stranger, \
            Subscriber(publisher.bound_endpoints) as plaintext:
        first = publish_until(publisher, [allowed], 15.0, until_received_by=allowed)
        assert first[id(allowed)], f"the allowed subscriber got nothing in {first['published']} decisions"
        # Now that the allowed one is known to be connected, give the others ample time.
        later = publish_until(publisher, [allowed, stranger, plaintext], 1.5)
    assert later["published"] > 20
    assert len(later[id(allowed)]) >= later["published"] // 2
    assert all(m.kind is MessageKind.DECISION and m.body.camera_id == "cam1" for m in later[id(allowed)])
    assert later[id(stranger)] == [] and later[id(plaintext)] == []


def test_snapshot_is_protected_the_same_way(keys, publisher):
    with Subscriber(publisher.bound_endpoints, curve=keys.allowed) as live:
        publish_until(publisher, [live], 15.0, until_received_by=live)
    with Subscriber(publisher.bound_endpoints, curve=keys.allowed,
                    snapshot_endpoints=publisher.bound_snapshot_endpoints) as late_joiner:
        snapshot = late_joiner.snapshot(timeout_ms=5000)
    assert [m.body.camera_id for m in snapshot if isinstance(m, Accepted)] == ["cam1"]
    for curve in (keys.stranger, None):
        with Subscriber(publisher.bound_endpoints, curve=curve,
                        snapshot_endpoints=publisher.bound_snapshot_endpoints) as refused:
            with pytest.raises(SnapshotUnavailable, match="did not answer"):
                refused.snapshot(timeout_ms=800)


def test_a_key_added_to_the_clients_directory_is_allowed_without_restart(keys, publisher):
    (keys.clients_dir / keys.stranger_public.name).write_bytes(keys.stranger_public.read_bytes())
    time.sleep(0.5)  # the publisher re-reads the directory within one poll (200 ms)
    with Subscriber(publisher.bound_endpoints, curve=keys.stranger) as newly_allowed:
        got = publish_until(publisher, [newly_allowed], 15.0, until_received_by=newly_allowed)
    assert got[id(newly_allowed)], "a key added to allowed_clients_dir was not accepted"


def test_replaying_a_captured_message_to_the_daemons_ports_injects_nothing(keys, publisher):
    context = zmq.Context.instance()
    with Subscriber(publisher.bound_endpoints, curve=keys.allowed,
                    snapshot_endpoints=publisher.bound_snapshot_endpoints) as listener:
        captured = publish_until(publisher, [listener], 15.0, until_received_by=listener)[id(listener)][0]
        time.sleep(0.3)
        while listener.receive(timeout_ms=100) is not None:  # what was still in flight
            pass
        sent_before = publisher.counters().messages_sent
        before = snapshot_sequences(context, keys, publisher)
        frames = [captured.topic, json.dumps(captured.envelope.model_dump(mode="json", by_alias=True)
                                             | captured.body.model_dump(mode="json")).encode()]
        # Even a holder of an allowed key can only send subscriptions to the XPUB and requests
        # to the ROUTER; neither path leads to the publish queue or the snapshot state.
        intruders = []
        for socket_type, endpoint in ((zmq.XSUB, publisher.bound_endpoints[0]),
                                      (zmq.DEALER, publisher.bound_snapshot_endpoints[0]),
                                      (zmq.PUB, publisher.bound_endpoints[0])):
            intruder = context.socket(socket_type)
            intruder.setsockopt(zmq.LINGER, 0)
            keys.allowed.apply(intruder)
            intruder.connect(endpoint)
            intruders.append(intruder)
        time.sleep(0.5)
        for intruder in intruders:
            for _ in range(20):
                intruder.send_multipart(frames)
        intruders[1].send_multipart([SNAPSHOT_REQUEST])  # the ROUTER still answers requests
        assert intruders[1].poll(5000), "the snapshot ROUTER stopped answering after the replay"
        intruders[1].recv_multipart()
        extra = [listener.receive(timeout_ms=300) for _ in range(3)]
        after = snapshot_sequences(context, keys, publisher)
        for intruder in intruders:
            intruder.close()
    assert extra == [None, None, None], "something sent to the daemon came out as a message"
    assert before and after == before, "the snapshot state changed without anything published"
    assert publisher.counters().messages_sent == sent_before


def snapshot_sequences(context: zmq.Context, keys, publisher: Publisher) -> list[bytes]:
    """The raw snapshot reply (header and topic/payload frames) as an allowed client sees it."""
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    keys.allowed.apply(dealer)
    dealer.connect(publisher.bound_snapshot_endpoints[0])
    dealer.send_multipart([SNAPSHOT_REQUEST])
    assert dealer.poll(5000), "no snapshot reply"
    reply = dealer.recv_multipart()
    dealer.close()
    return reply


def test_secret_key_readable_by_others_is_refused_without_showing_it(keys):
    keys.server_secret.chmod(0o644)
    secret_text = keys.server_secret.read_text()
    with pytest.raises(Exception) as refused:
        Publisher(curve_config(keys)).start()
    message = str(refused.value)
    assert "mode 0644" in message and "chmod 600" in message
    # Z85 keys may themselves contain "=", so split only at the first one.
    keys_in_file = [line.split("=", 1)[1].strip(' "')
                    for line in secret_text.splitlines() if "key =" in line]
    assert len(keys_in_file) == 2 and all(len(key) == 40 for key in keys_in_file)
    assert not any(key in message for key in keys_in_file)


def test_server_secret_comes_from_the_systemd_credential(keys, tmp_path):
    from edge.security.curve import CREDENTIAL_NAME, CurveServer
    credentials = tmp_path / "credentials"
    credentials.mkdir(mode=0o500)
    (credentials / CREDENTIAL_NAME).write_bytes(keys.server_secret.read_bytes())
    (credentials / CREDENTIAL_NAME).chmod(0o400)
    server = CurveServer.from_files("", str(keys.clients_dir), environ={"CREDENTIALS_DIRECTORY": str(credentials)})
    assert server.keys.public == CurveClientKeys.from_files(keys.server_public, keys.server_secret).server_public
    with pytest.raises(ValueError, match="CREDENTIALS_DIRECTORY is not set"):
        CurveServer.from_files("", str(keys.clients_dir), environ={})


def test_a_bad_key_added_later_is_reported_once_and_the_list_kept(keys, caplog):
    from edge.security.curve import CurveServer
    server = CurveServer.from_files(str(keys.server_secret), str(keys.clients_dir))
    assert server.refresh_allowed_clients() is True
    allowed_key = keys.allowed.client.public
    assert server.callback("edge-fas", allowed_key) and not server.callback("edge-fas", keys.stranger.client.public)
    (keys.clients_dir / "garbled.key").write_text("not a certificate\n")
    with caplog.at_level("ERROR", logger="edge.security.curve"):
        assert server.refresh_allowed_clients() is False
        assert server.refresh_allowed_clients() is False
    assert len([r for r in caplog.records if "garbled.key" in r.getMessage()]) == 1
    assert server.callback("edge-fas", allowed_key), "a bad file lost the allowed clients"
