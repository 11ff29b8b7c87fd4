"""What the daemon publishes: decisions and status, as typed models and as ZeroMQ frames.

Every message is multipart ``[topic, payload, *extra]``. The topic is ``fas/<camera>/decision/``
or ``fas/<camera>/status/``; the trailing ``/`` keeps a subscription to ``fas/cam1/`` from
matching ``cam10``. The payload is UTF-8 JSON: an envelope (schema name and version,
publisher id and instance, sequence numbers, publish time) merged with the body — a
:class:`Decision` or a :class:`Status`. Decisions may carry JPEG face crops as extra frames.

The pipeline worker fills in :class:`Decision` and :class:`Status`; the publisher adds the
envelope and the publishing figures it alone knows (HWM drops, subscriber count, publish
latency). The payloads are defined by the versioned JSON Schema files in ``edge/schema/``;
the models here produce payloads that validate against them (``tests/test_messages_*``).
Never pickled: a subscriber on another host, in any language, reads plain JSON.
"""

from __future__ import annotations

import enum
import json
from typing import Annotated, Literal

import pydantic
from pydantic import Field

SCHEMA_VERSION = 1
DECISION_SCHEMA = "edge-fas.decision"
STATUS_SCHEMA = "edge-fas.status"
SNAPSHOT_SCHEMA = "edge-fas.snapshot"

TOPIC_ROOT = "fas/"
#: A camera id is one topic level: no ``/``, so topics cannot be confused.
CAMERA_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
CameraId = Annotated[str, Field(pattern=CAMERA_ID_PATTERN)]

#: Per-frame stages the pipeline times (issue 6 item 9), in pipeline order.
PIPELINE_STAGES = (
    "capture_wait",
    "registration",
    "detection",
    "tracking",
    "preprocessing",
    "inference",
    "decision",
)
#: Stages only the publisher sees, reported in status: building the payload, worker hand-off to
#: the socket, and the headline figure, capture (host arrival) to publish.
PUBLISH_STAGES = ("serialisation", "publish", "capture_to_publish")
ALL_STAGES = PIPELINE_STAGES + PUBLISH_STAGES

PipelineStage = Literal[PIPELINE_STAGES]  # type: ignore[valid-type]
AnyStage = Literal[ALL_STAGES]  # type: ignore[valid-type]

_Strict = pydantic.ConfigDict(extra="forbid")


class MessageKind(str, enum.Enum):
    DECISION = "decision"
    STATUS = "status"


def camera_prefix(camera_id: str) -> bytes:
    """The subscription prefix for every message about one camera: ``b"fas/cam1/"``."""
    return f"{TOPIC_ROOT}{camera_id}/".encode()


def topic_for(kind: MessageKind, camera_id: str) -> bytes:
    """``b"fas/<camera>/decision/"`` or ``b"fas/<camera>/status/"``."""
    return camera_prefix(camera_id) + f"{MessageKind(kind).value}/".encode()


def parse_topic(topic: bytes) -> tuple[MessageKind, str]:
    """(kind, camera id) of a topic frame; ValueError naming the frame when it is not one of ours."""
    try:
        text = topic.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError(f"topic frame is not ASCII: {topic[:40]!r}") from None
    parts = text.split("/")
    if len(parts) != 4 or parts[0] + "/" != TOPIC_ROOT or parts[3] != "":
        raise ValueError(f"topic {text[:80]!r} is not 'fas/<camera>/<decision|status>/'")
    camera_id, kind = parts[1], parts[2]
    try:
        return MessageKind(kind), camera_id
    except ValueError:
        raise ValueError(f"topic {text[:80]!r}: kind {kind!r} is not 'decision' or 'status'") from None


class FaceState(str, enum.Enum):
    LIVE = "live"
    SPOOF = "spoof"
    #: The score fell inside the uncertain band around the threshold.
    UNCERTAIN = "uncertain"
    #: Processing or detection could not give the model a usable input (no depth, too small...).
    NOT_ENOUGH_DATA = "not_enough_data"


class Modality(str, enum.Enum):
    """The image the face was detected in (IR when the scene is too dark for colour)."""

    RGB = "rgb"
    IR = "ir"


class BoxPx(pydantic.BaseModel):
    """A face box in colour-image pixels (it may reach past the image edge)."""

    model_config = _Strict
    x_px: float
    y_px: float
    width_px: float = Field(gt=0)
    height_px: float = Field(gt=0)


class ModelInfo(pydantic.BaseModel):
    model_config = _Strict
    id: str = Field(min_length=1, max_length=128)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class BackendInfo(pydantic.BaseModel):
    """The engine backend actually running; ``fallback`` is loud: it means not the one asked for."""

    model_config = _Strict
    name: str = Field(min_length=1, max_length=64)
    device: str = Field(default="cpu", min_length=1, max_length=64)
    precision: Literal["fp32", "fp16", "int8"] = "fp32"
    fallback: bool = False
    fallback_reason: str | None = Field(default=None, max_length=500)


class FaceDecision(pydantic.BaseModel):
    """One tracked face in one frame and what the model and policy made of it."""

    model_config = _Strict
    track_id: int = Field(ge=0)
    box: BoxPx
    detector_score: float = Field(ge=0.0, le=1.0)
    #: None when the state is ``not_enough_data`` and the model was not run.
    live_score: float | None = Field(default=None, ge=0.0, le=1.0)
    state: FaceState
    modality: Modality = Modality.RGB
    latency_ms: dict[PipelineStage, Annotated[float, Field(ge=0.0)]] = Field(default_factory=dict)
    #: Index of this face's JPEG crop among the message frames (set by the publisher).
    crop_frame: int | None = Field(default=None, ge=2)

    @pydantic.model_validator(mode="after")
    def _scored_states_have_a_score(self) -> FaceDecision:
        if self.state is not FaceState.NOT_ENOUGH_DATA and self.live_score is None:
            raise ValueError(f"state {self.state.value!r} needs a live_score; only not_enough_data may omit it")
        return self


class Decision(pydantic.BaseModel):
    """Every face decided in one frame of one camera (the worker fills this in)."""

    model_config = _Strict
    camera_id: CameraId
    frame_index: int = Field(ge=0)
    #: Host wall clock at frame arrival (FrameSet.timestamps), ns since the Unix epoch.
    capture_wall_ns: int = Field(ge=0)
    #: After this wall-clock instant a consumer must not act on the decision.
    expires_wall_ns: int = Field(ge=0)
    model: ModelInfo
    backend: BackendInfo
    threshold: float = Field(ge=0.0, le=1.0)
    faces: list[FaceDecision] = Field(default_factory=list, max_length=256)

    @pydantic.model_validator(mode="after")
    def _expires_after_capture(self) -> Decision:
        if self.expires_wall_ns <= self.capture_wall_ns:
            raise ValueError("expires_wall_ns must be later than capture_wall_ns (give the decision a positive TTL)")
        return self


class CameraState(str, enum.Enum):
    OPENING = "opening"
    STREAMING = "streaming"
    #: Open but frames stopped arriving within the timeout.
    STALLED = "stalled"
    #: Lost; the capture thread's recovery ladder is retrying with back-off.
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    CLOSED = "closed"


class LatencyPercentiles(pydantic.BaseModel):
    """Latency of one stage over the status window, in milliseconds."""

    model_config = _Strict
    count: int = Field(ge=0)
    p50_ms: float = Field(ge=0.0)
    p90_ms: float = Field(ge=0.0)
    p99_ms: float = Field(ge=0.0)
    max_ms: float = Field(ge=0.0)


class Drops(pydantic.BaseModel):
    """Cumulative counts since start (counters, so a missed status message loses nothing)."""

    model_config = _Strict
    #: Pipeline stage (or slot) → frames or faces dropped there, e.g. {"latest_frame_slot": 3}.
    stages: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    #: Messages of this camera dropped because the worker→publisher queue was full (publisher fills).
    publish_queue: int = Field(default=0, ge=0)
    #: Messages of this camera refused because a subscriber's queue was at its high-water mark
    #: (publisher fills). Non-zero exactly when a subscriber lost messages; a lower bound of how
    #: many, since libzmq hides the later losses of a subscriber it parked (see edge.publishing.publisher).
    publish_hwm: int = Field(default=0, ge=0)


class Status(pydantic.BaseModel):
    """One camera's health, sent every ``period_s`` (the worker fills this in)."""

    model_config = _Strict
    camera_id: CameraId
    camera_state: CameraState
    #: Frames the camera delivered and frames the pipeline finished, per second, over the window.
    capture_fps: float = Field(ge=0.0)
    processed_fps: float = Field(ge=0.0)
    drops: Drops = Field(default_factory=Drops)
    backend: BackendInfo
    latency_ms: dict[AnyStage, LatencyPercentiles] = Field(default_factory=dict)
    #: Connected subscribers (publisher fills; None where it cannot know).
    subscribers: int | None = Field(default=None, ge=0)
    #: The status period; a consumer treats a status older than three periods as stale.
    period_s: float = Field(gt=0.0)


class Envelope(pydantic.BaseModel):
    """What the publisher adds to every payload."""

    model_config = pydantic.ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)
    schema_name: str = Field(alias="schema")
    schema_version: int = Field(ge=1)
    publisher_id: str = Field(min_length=1, max_length=128)
    #: Random per publisher start: a new instance restarts the sequence numbers.
    publisher_instance: str = Field(pattern=r"^[0-9a-f]{32}$")
    #: Per publisher, over every message it sends: +1 each, no gaps.
    sequence: int = Field(ge=0)
    #: Per publisher and topic: +1 each, so a subscriber that filters can still see its gaps.
    topic_sequence: int = Field(ge=0)
    publish_wall_ns: int = Field(ge=0)


ENVELOPE_KEYS = frozenset(f.alias or name for name, f in Envelope.model_fields.items())


def encode_payload(envelope: Envelope, body: Decision | Status) -> bytes:
    """The JSON payload frame: envelope and body merged into one flat object."""
    merged = envelope.model_dump(mode="json", by_alias=True)
    merged.update(body.model_dump(mode="json", exclude_none=False))
    return json.dumps(merged, separators=(",", ":"), allow_nan=False).encode()


def split_payload(document: dict) -> tuple[Envelope, Decision | Status]:
    """Typed envelope and body of an already schema-valid payload object."""
    envelope = Envelope.model_validate({k: v for k, v in document.items() if k in ENVELOPE_KEYS})
    body_fields = {k: v for k, v in document.items() if k not in ENVELOPE_KEYS}
    body_type = Decision if envelope.schema_name == DECISION_SCHEMA else Status
    return envelope, body_type.model_validate(body_fields)
