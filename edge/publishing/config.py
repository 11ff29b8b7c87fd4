"""Configuration of the ZeroMQ publishing side (the ``[publish]`` table of the daemon's TOML)."""

from __future__ import annotations

import socket

import pydantic
from pydantic import Field

from edge.security.exposure import exposed_endpoints

_SCHEMES = ("tcp://", "ipc://", "inproc://")


def _check_endpoints(key: str, endpoints: list[str]) -> list[str]:
    if not endpoints:
        raise ValueError(f"{key} is empty: give at least one endpoint such as 'tcp://127.0.0.1:5560'")
    for endpoint in endpoints:
        if not endpoint.startswith(_SCHEMES) or endpoint.endswith("//"):
            raise ValueError(
                f"{key}: endpoint {endpoint!r} is not a ZeroMQ bind address; "
                f"use tcp://<interface>:<port> (e.g. tcp://127.0.0.1:5560, tcp://*:5560) or ipc:///run/edge/pub.sock"
            )
    if len(set(endpoints)) != len(endpoints):
        raise ValueError(f"{key}: endpoint listed twice in {endpoints}")
    return endpoints


class PublishConfig(pydantic.BaseModel):
    """Where and how decisions and status are published; unknown keys are an error."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    #: PUB endpoints (decision and status topics share them); loopback by default.
    endpoints: list[str] = Field(default_factory=lambda: ["tcp://127.0.0.1:5560"])
    #: ROUTER endpoints answering snapshot requests from late joiners.
    snapshot_endpoints: list[str] = Field(default_factory=lambda: ["tcp://127.0.0.1:5561"])
    #: Per-subscriber send queue, in messages; past it a subscriber misses messages (counted).
    send_hwm: int = Field(default=1000, ge=1, le=1_000_000)
    #: How long closing may wait to flush queued messages; capped so shutdown stays within 2 s.
    linger_ms: int = Field(default=200, ge=0, le=1500)
    #: Names this daemon in every message; defaults to the host name.
    publisher_id: str = Field(default_factory=socket.gethostname, min_length=1, max_length=128)
    #: Send a JPEG crop of each face as an extra frame of the decision message.
    jpeg_crops: bool = False
    jpeg_quality: int = Field(default=85, ge=10, le=100)
    #: How often the pipeline sends each camera's status message.
    status_period_s: float = Field(default=1.0, gt=0.0, le=60.0)
    #: Messages waiting between the pipeline worker and the publisher thread; the oldest is
    #: dropped (and counted) when it is full, so the worker never waits on the network.
    queue_capacity: int = Field(default=256, ge=1, le=100_000)
    #: CURVE encryption with a ZAP allow-list on the XPUB and the snapshot ROUTER (issue 10).
    curve: bool = False
    #: The server's NAME.key_secret file; empty = the systemd credential
    #: ``curve-server.key_secret`` in $CREDENTIALS_DIRECTORY (the unit's LoadCredential=).
    curve_secret_key: str = ""
    #: Directory of allowed subscribers' public keys (``*.key``); re-read when it changes.
    allowed_clients_dir: str = ""
    #: Publish without CURVE on an endpoint other hosts can reach; the daemon warns at every start.
    allow_insecure: bool = False

    @pydantic.field_validator("endpoints")
    @classmethod
    def _publish_endpoints(cls, value: list[str]) -> list[str]:
        return _check_endpoints("publish.endpoints", value)

    @pydantic.field_validator("snapshot_endpoints")
    @classmethod
    def _snapshot_endpoints(cls, value: list[str]) -> list[str]:
        return _check_endpoints("publish.snapshot_endpoints", value)

    @pydantic.model_validator(mode="after")
    def _no_shared_endpoint(self) -> PublishConfig:
        # "tcp://host:*" asks for any free port, so it may appear on both sides.
        shared = {e for e in set(self.endpoints) & set(self.snapshot_endpoints) if not e.endswith(":*")}
        if shared:
            raise ValueError(
                f"publish.endpoints and publish.snapshot_endpoints both list {sorted(shared)}; "
                "the snapshot socket needs its own port or path"
            )
        return self

    @pydantic.model_validator(mode="after")
    def _exposed_endpoints_need_curve(self) -> PublishConfig:
        exposed = exposed_endpoints([*self.endpoints, *self.snapshot_endpoints])
        if exposed and not self.curve and not self.allow_insecure:
            raise ValueError(
                f"publish: {exposed} can be reached from other hosts but publish.curve = false, so anyone on "
                "the network could read every decision; set publish.curve = true with publish.allowed_clients_dir "
                "(deploy/README.md, edge-keys), bind 127.0.0.1 only, or set publish.allow_insecure = true to accept it"
            )
        if self.curve:
            if not self.allowed_clients_dir:
                raise ValueError("publish.curve = true needs publish.allowed_clients_dir: the directory of the "
                                 "subscribers' public keys (e.g. /etc/edge/clients); without it nobody is allowed")
            for key in ("curve_secret_key", "allowed_clients_dir"):
                value = getattr(self, key)
                if value and not value.startswith(("/", "~")):
                    raise ValueError(f"publish.{key} = {value!r}: give an absolute path (e.g. /etc/edge/...)")
        return self
