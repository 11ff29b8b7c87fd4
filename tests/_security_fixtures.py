"""Keys and a CURVE publisher on loopback for the security tests."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from edge.message_check import Accepted
from edge.publishing.config import PublishConfig
from edge.publishing.publisher import Publisher
from edge.security.client import CurveClientKeys
from edge.security.keys import write_key_pair
from edge.subscriber import Subscriber
from tests._zmq_fixtures import sample_decision


@dataclass
class Keyring:
    """A server pair, an allowed client ("door-fr") and a valid but unlisted one ("stranger")."""

    server_secret: Path
    server_public: Path
    clients_dir: Path
    allowed: CurveClientKeys
    stranger: CurveClientKeys
    stranger_public: Path


def make_keyring(root: Path) -> Keyring:
    server_public, server_secret = write_key_pair(root / "server", "server")
    allowed_public, allowed_secret = write_key_pair(root / "fr", "door-fr")
    stranger_public, stranger_secret = write_key_pair(root / "fr", "stranger")
    clients = root / "clients"
    clients.mkdir()
    (clients / allowed_public.name).write_bytes(allowed_public.read_bytes())
    return Keyring(server_secret, server_public, clients,
                   CurveClientKeys.from_files(server_public, allowed_secret),
                   CurveClientKeys.from_files(server_public, stranger_secret), stranger_public)


def curve_config(keys: Keyring, **overrides) -> PublishConfig:
    settings = dict(endpoints=["tcp://127.0.0.1:*"], snapshot_endpoints=["tcp://127.0.0.1:*"],
                    publisher_id="secure-box", curve=True, curve_secret_key=str(keys.server_secret),
                    allowed_clients_dir=str(keys.clients_dir))
    return PublishConfig(**(settings | overrides))


def publish_until(publisher: Publisher, subscribers: list[Subscriber], seconds: float,
                  until_received_by: Subscriber | None = None, camera_id: str = "cam1") -> dict:
    """Publish a decision every 20 ms for ``seconds`` (or until ``until_received_by`` got one);
    returns what each subscriber accepted, by id(subscriber), and how many were published."""
    received: dict[int, list[Accepted]] = {id(s): [] for s in subscribers}
    published = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        publisher.queue.offer(sample_decision(camera_id, frame_index=published, ttl_ms=60_000))
        published += 1
        for subscriber in subscribers:
            message = subscriber.receive(timeout_ms=20 // len(subscribers))
            if isinstance(message, Accepted):
                received[id(subscriber)].append(message)
        if until_received_by is not None and received[id(until_received_by)]:
            break
    return {"published": published, **received}
