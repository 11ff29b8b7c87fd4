"""The current state a late joiner asks for: the last decision and status of every camera.

The publisher thread records each message it sends (:meth:`SnapshotState.record`) and answers
a snapshot request with :meth:`SnapshotState.reply`. This is the ZeroMQ guide's "clone"
pattern: a subscriber subscribes first, then asks for the snapshot, then applies live updates
newer than the snapshot's sequence numbers (:mod:`edge.subscriber` does this).

Request: ``[b"SNAPSHOT", *camera ids]`` (no ids: every camera). Reply:
``[header, topic, payload, topic, payload, ...]``; the header follows
``edge/schema/snapshot.v1.schema.json`` and carries the publisher-wide sequence number of the
last message sent, so that everything up to it is reflected in the reply.
"""

from __future__ import annotations

import json

from edge.messages import SCHEMA_VERSION, SNAPSHOT_SCHEMA

SNAPSHOT_REQUEST = b"SNAPSHOT"


class SnapshotState:
    """Last payload per topic, as sent (same bytes, same sequence numbers)."""

    def __init__(self, publisher_id: str, publisher_instance: str) -> None:
        self._publisher_id = publisher_id
        self._publisher_instance = publisher_instance
        self._last_by_topic: dict[bytes, bytes] = {}
        self._sequence = -1

    def record(self, topic: bytes, payload: bytes, sequence: int) -> None:
        self._last_by_topic[topic] = payload
        self._sequence = sequence

    def reply(self, request: list[bytes]) -> list[bytes]:
        """The reply frames for one request (an ``error`` header when the request is malformed)."""
        header = {
            "schema": SNAPSHOT_SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "publisher_id": self._publisher_id,
            "publisher_instance": self._publisher_instance,
            "sequence": self._sequence,
            "cameras": [],
        }
        if not request or request[0] != SNAPSHOT_REQUEST:
            header["error"] = "bad request: send [b'SNAPSHOT', *camera ids] (no ids: every camera)"
            return [json.dumps(header).encode()]
        wanted = {camera.decode("utf-8", "replace") for camera in request[1:]}
        frames: list[bytes] = []
        cameras = set()
        for topic, payload in self._last_by_topic.items():
            camera_id = topic.split(b"/")[1].decode()
            if not wanted or camera_id in wanted:
                cameras.add(camera_id)
                frames += [topic, payload]
        header["cameras"] = sorted(cameras)
        return [json.dumps(header).encode(), *frames]
