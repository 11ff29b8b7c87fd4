"""The client a face-recognition host imports to listen to one or more edge daemons.

    with Subscriber(["tcp://box1:5560"], cameras=["cam1"],
                    snapshot_endpoints=["tcp://box1:5561"]) as sub:
        for message in sub.snapshot():          # current state, for a late joiner
            ...
        while True:
            message = sub.receive(timeout_ms=1000)
            if isinstance(message, Accepted) and message.kind is MessageKind.DECISION:
                act_on(message.body)            # an edge.messages.Decision
            elif isinstance(message, Rejected):
                log.warning("edge message refused: %s", message.reason)

Every message is checked against the JSON Schema (:mod:`edge.message_check`); expired
decisions and stale status are refused with the reason; sequence gaps per publisher and topic
are reported on the message (``missed``) and counted; repeats (e.g. a live update that the
snapshot already covered) are skipped. Garbage never raises.

A daemon publishing with CURVE (``publish.curve = true``) needs ``curve=CurveClientKeys.from_files(
"server.key", "fr-host.key_secret")``, and this client's public key in that daemon's allow-list;
otherwise the connection never completes and nothing arrives (ZeroMQ does not report why to
the client: the daemon's log names the refused key).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace

import zmq

from edge import schema
from edge.message_check import MAX_PAYLOAD_BYTES, Accepted, Rejected, decode, staleness
from edge.messages import SNAPSHOT_SCHEMA, MessageKind, camera_prefix, topic_for
from edge.security.client import CurveClientKeys
from edge.publishing.snapshot import SNAPSHOT_REQUEST

__all__ = ["Accepted", "CurveClientKeys", "Rejected", "SnapshotUnavailable", "Subscriber"]



class SnapshotUnavailable(RuntimeError):
    """The snapshot endpoint did not answer, or answered with something unusable."""


class Subscriber:
    """SUB socket(s) on one or many daemons, filtered by camera and kind; one thread uses it."""

    def __init__(
        self,
        endpoints: str | Iterable[str],
        cameras: Iterable[str] | None = None,
        kinds: Iterable[MessageKind | str] = (MessageKind.DECISION, MessageKind.STATUS),
        snapshot_endpoints: str | Iterable[str] = (),
        expiry_grace_ms: float = 0.0,
        receive_hwm: int = 1000,
        context: zmq.Context | None = None,
        curve: CurveClientKeys | Mapping[str, CurveClientKeys] | None = None,
    ) -> None:
        self.endpoints = _as_list(endpoints)
        if not self.endpoints:
            raise ValueError("endpoints is empty: give the daemon's publish endpoint, e.g. tcp://127.0.0.1:5560")
        self.cameras = sorted(set(cameras)) if cameras else None
        self.kinds = frozenset(MessageKind(k) for k in kinds)
        self.snapshot_endpoints = _as_list(snapshot_endpoints)
        self.expiry_grace_ms = expiry_grace_ms
        #: Keys for daemons that publish with CURVE (``publish.curve = true``): one set for all, or
        #: one per endpoint (publish and snapshot) when each daemon has its own server key; None = plaintext.
        self.curve = curve
        if isinstance(curve, Mapping):
            missing = [e for e in [*self.endpoints, *self.snapshot_endpoints] if e not in curve]
            if missing:
                raise ValueError(f"curve has no keys for endpoint(s) {missing}; give one CurveClientKeys per endpoint")
        #: Totals since creation: accepted, rejected, repeats skipped, gaps, messages missed in gaps.
        self.counts = {"accepted": 0, "rejected": 0, "repeats": 0, "gaps": 0, "missed": 0}
        self._last_topic_sequence: dict[tuple[str, str, bytes], int] = {}
        self._own_context = context is None
        self._context = context or zmq.Context()
        self._socket = self._context.socket(zmq.SUB)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.RCVHWM, receive_hwm)
        # No ZMTP heartbeats: with a full receive queue they make libzmq 4.3.5 abort this process
        # on reconnect (libzmq issue #3937). A silent publisher shows as missing status messages.
        self._socket.setsockopt(zmq.MAXMSGSIZE, 16 * MAX_PAYLOAD_BYTES)  # crops travel too
        for prefix in self._prefixes():
            self._socket.subscribe(prefix)
        for endpoint in self.endpoints:
            self._apply_curve(self._socket, endpoint)  # libzmq takes the keys at each connect
            self._socket.connect(endpoint)

    # ----------------------------------------------------------------- live stream
    def receive(self, timeout_ms: int | None = None) -> Accepted | Rejected | None:
        """The next message for this subscriber (None when ``timeout_ms`` passes first)."""
        deadline = None if timeout_ms is None else time.monotonic() + timeout_ms / 1000
        while True:
            wait_ms = -1 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
            if not self._socket.poll(wait_ms, zmq.POLLIN):
                return None
            result = self._check(self._socket.recv_multipart(zmq.NOBLOCK), from_snapshot=False)
            if result is not None:
                return result
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def __iter__(self) -> Iterator[Accepted | Rejected]:
        while True:
            message = self.receive()
            if message is not None:
                yield message

    # ----------------------------------------------------------------- late joiners
    def snapshot(self, timeout_ms: int = 2000) -> list[Accepted | Rejected]:
        """Current state (last decision and status per camera) from every snapshot endpoint.

        Call it after creating the subscriber, so that live updates queue meanwhile; updates
        the snapshot already covers are then skipped by :meth:`receive`."""
        if not self.snapshot_endpoints:
            raise SnapshotUnavailable("no snapshot_endpoints given; pass the daemon's publish.snapshot_endpoints")
        results: list[Accepted | Rejected] = []
        for endpoint in self.snapshot_endpoints:
            results += self._snapshot_from(endpoint, timeout_ms)
        return results

    def _snapshot_from(self, endpoint: str, timeout_ms: int) -> list[Accepted | Rejected]:
        dealer = self._context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.setsockopt(zmq.MAXMSGSIZE, 16 * MAX_PAYLOAD_BYTES)
        self._apply_curve(dealer, endpoint)
        try:
            dealer.connect(endpoint)
            dealer.send_multipart([SNAPSHOT_REQUEST, *(c.encode() for c in self.cameras or [])])
            if not dealer.poll(timeout_ms, zmq.POLLIN):
                raise SnapshotUnavailable(f"snapshot endpoint {endpoint} did not answer within {timeout_ms} ms")
            header_frame, *pairs = dealer.recv_multipart()
        finally:
            dealer.close()
        try:
            header = json.loads(header_frame)
            schema.validate(header, SNAPSHOT_SCHEMA, 1)
        except (ValueError, schema.PayloadInvalid) as error:
            raise SnapshotUnavailable(f"snapshot reply from {endpoint} is unusable: {error}") from None
        if "error" in header:
            raise SnapshotUnavailable(f"snapshot endpoint {endpoint} refused the request: {header['error']}")
        if len(pairs) % 2:
            raise SnapshotUnavailable(f"snapshot reply from {endpoint} has an odd number of topic/payload frames")
        results = []
        for topic, payload in zip(pairs[::2], pairs[1::2]):
            result = self._check([topic, payload], from_snapshot=True)
            if result is not None:
                results.append(result)
        return results

    # ----------------------------------------------------------------- checks and sequences
    def _check(self, frames: list[bytes], from_snapshot: bool) -> Accepted | Rejected | None:
        """Decode, then track sequences, then judge freshness; None for a message to skip."""
        result = decode(frames)
        if isinstance(result, Rejected):
            self.counts["rejected"] += 1
            return result
        if result.kind not in self.kinds or (self.cameras and result.camera_id not in self.cameras):
            return None  # a prefix subscription brought more than was asked for
        key = (result.envelope.publisher_id, result.envelope.publisher_instance, result.topic)
        sequence = result.envelope.topic_sequence
        last = self._last_topic_sequence.get(key)
        if last is not None and sequence <= last:
            self.counts["repeats"] += 1
            return None
        self._last_topic_sequence[key] = sequence
        missed = 0 if last is None else sequence - last - 1
        if missed:
            self.counts["gaps"] += 1
            self.counts["missed"] += missed
        reason = staleness(result, time.time_ns(), self.expiry_grace_ms)
        if reason is not None:
            self.counts["rejected"] += 1
            return Rejected(reason, result.topic)
        self.counts["accepted"] += 1
        return replace(result, missed=missed, from_snapshot=from_snapshot)

    def _apply_curve(self, socket: zmq.Socket, endpoint: str) -> None:
        if isinstance(self.curve, Mapping):
            self.curve[endpoint].apply(socket)
        elif self.curve is not None:
            self.curve.apply(socket)

    def _prefixes(self) -> list[bytes]:
        if self.cameras is None:
            return [b"fas/"]
        if self.kinds == frozenset(MessageKind):
            return [camera_prefix(c) for c in self.cameras]
        return [topic_for(k, c) for c in self.cameras for k in self.kinds]

    def close(self) -> None:
        self._socket.close(linger=0)
        if self._own_context:
            self._context.term()

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
