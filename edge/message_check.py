"""Checking one received message: structure, schema, topic agreement, crops, and freshness.

Pure functions over the frames of one ZeroMQ message, so that the subscriber client, the CLI
and the tests share one definition of "valid". They never raise on bad input: whatever
arrives — garbage bytes, a foreign publisher, a newer schema — comes back as a
:class:`Rejected` with a reason a person can act on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pydantic

from edge import schema
from edge.messages import Decision, Envelope, MessageKind, Status, parse_topic, split_payload

#: Largest payload frame accepted (a decision with 256 faces is about 100 KiB).
MAX_PAYLOAD_BYTES = 1 << 20
_KIND_OF_SCHEMA = {"edge-fas.decision": MessageKind.DECISION, "edge-fas.status": MessageKind.STATUS}
#: A status older than this many periods means the publisher (or the path to it) is gone.
STATUS_STALE_PERIODS = 3.0


@dataclass(frozen=True)
class Accepted:
    """A message that passed every check."""

    kind: MessageKind
    camera_id: str
    envelope: Envelope
    body: Decision | Status
    #: JPEG crops by face index (None where the face has none).
    crops: tuple[bytes | None, ...] = ()
    #: Messages on this topic missed just before this one (a sequence gap), 0 when none.
    missed: int = 0
    #: True when it came from a snapshot reply rather than the live stream.
    from_snapshot: bool = False

    @property
    def topic(self) -> bytes:
        return f"fas/{self.camera_id}/{self.kind.value}/".encode()


@dataclass(frozen=True)
class Rejected:
    """A message refused, with the reason and the start of its topic frame for the log."""

    reason: str
    topic: bytes = b""


def decode(frames: list[bytes]) -> Accepted | Rejected:
    """Check the structure, schema and topic of ``[topic, payload, *crops]``; never raises."""
    try:
        return _decode(frames)
    except RecursionError:
        return Rejected("payload nests too deeply to be a decision or status", _head(frames))
    except Exception as error:  # noqa: BLE001 - the contract is "never crash on garbage"
        return Rejected(f"unreadable message ({type(error).__name__}: {str(error)[:200]})", _head(frames))


def staleness(message: Accepted, now_wall_ns: int, grace_ms: float = 0.0) -> str | None:
    """Why a message is too old to act on, or None. Decisions carry their own expiry; a status
    is stale after :data:`STATUS_STALE_PERIODS` of its period. ``grace_ms`` absorbs clock skew."""
    grace_ns = int(grace_ms * 1e6)
    body = message.body
    if isinstance(body, Decision):
        late_ns = now_wall_ns - (body.expires_wall_ns + grace_ns)
        if late_ns > 0:
            return f"expired {late_ns / 1e6:.1f} ms ago (frame {body.frame_index} of {body.camera_id})"
        return None
    age_ns = now_wall_ns - message.envelope.publish_wall_ns
    limit_ns = int(STATUS_STALE_PERIODS * body.period_s * 1e9) + grace_ns
    if age_ns > limit_ns:
        return f"stale status: published {age_ns / 1e6:.0f} ms ago, limit {limit_ns / 1e6:.0f} ms"
    return None


def _decode(frames: list[bytes]) -> Accepted | Rejected:
    head = _head(frames)
    if len(frames) < 2:
        return Rejected(f"expected frames [topic, payload, *crops], got {len(frames)} frame(s)", head)
    topic, payload, extra = bytes(frames[0]), bytes(frames[1]), [bytes(f) for f in frames[2:]]
    try:
        kind, camera_id = parse_topic(topic)
    except ValueError as error:
        return Rejected(str(error), head)
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejected(f"payload of {len(payload)} bytes exceeds the {MAX_PAYLOAD_BYTES} byte limit", head)
    try:
        document = json.loads(payload.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as error:
        return Rejected(f"payload is not UTF-8 ({error.reason} at byte {error.start})", head)
    except ValueError as error:
        return Rejected(f"payload is not JSON: {str(error)[:200]}", head)
    if not isinstance(document, dict):
        return Rejected(f"payload is JSON {type(document).__name__}, not an object", head)
    name, version = document.get("schema"), document.get("schema_version")
    if name not in _KIND_OF_SCHEMA:
        return Rejected(f"unknown schema {str(name)[:60]!r}; expected one of {sorted(_KIND_OF_SCHEMA)}", head)
    if _KIND_OF_SCHEMA[name] is not kind:
        return Rejected(f"topic says {kind.value} but the payload's schema is {name}", head)
    if type(version) is not int or version not in schema.SCHEMA_FILES[name]:
        known = sorted(schema.SCHEMA_FILES[name])
        return Rejected(f"unsupported {name} schema_version {str(version)[:20]}; this client reads {known}", head)
    try:
        schema.validate(document, name, version)
    except schema.PayloadInvalid as error:
        return Rejected(str(error), head)
    if document["camera_id"] != camera_id:
        return Rejected(f"topic camera {camera_id!r} differs from payload camera_id {document['camera_id']!r}", head)
    try:
        envelope, body = split_payload(document)
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return Rejected(f"{name}: field {where}: {first['msg']}", head)
    crops = _crops(body, extra)
    if isinstance(crops, str):
        return Rejected(crops, head)
    return Accepted(kind=kind, camera_id=camera_id, envelope=envelope, body=body, crops=crops)


def _crops(body: Decision | Status, extra: list[bytes]) -> tuple[bytes | None, ...] | str:
    """Crops by face, or the reason the extra frames do not match what the payload announces."""
    if isinstance(body, Status):
        return "a status message has no extra frames" if extra else ()
    announced = [face.crop_frame for face in body.faces if face.crop_frame is not None]
    if sorted(announced) != list(range(2, 2 + len(extra))):
        return f"the payload announces crop frames {sorted(announced)} but {len(extra)} extra frame(s) arrived"
    if not extra:
        return ()
    return tuple(None if face.crop_frame is None else extra[face.crop_frame - 2] for face in body.faces)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _head(frames: list[bytes]) -> bytes:
    try:
        return bytes(frames[0])[:80] if frames else b""
    except Exception:  # noqa: BLE001 - a frame that is not bytes-like
        return b""
