"""The camera plugin contract: open, read with a timeout, close, describe.

A plugin wraps one camera SDK (or the simulator, or a recording). The capture thread owns the
plugin and calls it from that thread only; the typed errors below are what its recovery ladder
branches on, so a plugin must translate every SDK failure into one of them.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pydantic

from edge.frames import FrameSet


class CameraError(Exception):
    """Base of every error a camera plugin raises."""


class CameraNotFound(CameraError):
    """No device matches (wrong serial, unplugged, missing vendor library or recording)."""


class CameraDisconnected(CameraError):
    """The device went away while streaming (USB fault, end of a recording)."""


class CameraTimeout(CameraError):
    """No frame arrived within the read timeout; the device may still be there."""


class CameraUnsupported(CameraError):
    """The request cannot be met: stream mode, model, or SDK version."""


class PluginOptions(pydantic.BaseModel):
    """Base of each plugin's typed options; unknown keys are an error, not a silent no-op."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class CameraDescription:
    """What a camera says about itself, for logs, status messages and recordings."""

    plugin: str
    model: str
    serial: str
    firmware: str = ""
    sdk_version: str = ""
    usb_type: str = ""
    #: Stream name → profile, e.g. {"depth": "640x480 Z16 30fps"}.
    streams: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "plugin": self.plugin,
            "model": self.model,
            "serial": self.serial,
            "firmware": self.firmware,
            "sdk_version": self.sdk_version,
            "usb_type": self.usb_type,
            "streams": dict(self.streams),
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, d: dict) -> CameraDescription:
        return cls(**{k: d[k] for k in ("plugin", "model", "serial")},
                   **{k: d.get(k, "") for k in ("firmware", "sdk_version", "usb_type")},
                   streams=dict(d.get("streams", {})), extra=dict(d.get("extra", {})))


class CameraPlugin(abc.ABC):
    """One camera. Construct with validated options, then open → read… → close."""

    #: The name it is registered under (the entry point's name).
    name: ClassVar[str]
    #: Its typed options; the daemon validates a config section against it.
    Options: ClassVar[type[PluginOptions]] = PluginOptions

    def __init__(self, camera_id: str, options: PluginOptions | None = None) -> None:
        self.camera_id = camera_id
        self.options = options if options is not None else self.Options()

    @abc.abstractmethod
    def open(self) -> None:
        """Find and start the device. Raises CameraNotFound or CameraUnsupported."""

    @abc.abstractmethod
    def read(self, timeout_s: float) -> FrameSet:
        """Block until the next FrameSet or raise CameraTimeout / CameraDisconnected."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop the device; safe to call twice and after a failed open."""

    @abc.abstractmethod
    def describe(self) -> CameraDescription:
        """Model, serial, firmware, SDK version and stream profiles (valid after open)."""

    def hardware_reset(self) -> bool:
        """Reset the device itself (the recovery ladder's step after failed reopens).

        Returns False when the camera has no such reset, as here; a plugin that has one
        (RealSense: a USB reset) overrides this and returns True once it asked for it."""
        return False

    def __enter__(self) -> CameraPlugin:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
