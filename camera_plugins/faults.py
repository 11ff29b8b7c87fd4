"""The ``faults`` camera plugin: any other camera plugin, with faults injected on a schedule.

It wraps a plugin by name (``sim``, ``replay``, or a real camera) and breaks it the way cameras
break in the field, so that the daemon's recovery can be exercised end to end without editing
the wrapped plugin (issue 10)::

    [[cameras]]
    id = "door"
    plugin = "faults"
    [cameras.options]
    camera = "sim"
    options = { camera_model = "sr300", scenario = "demo" }
    plan = [
      { kind = "stall", at_s = 5, duration_s = 3 },           # reads time out (USB hiccup)
      { kind = "disconnect", at_s = 12, duration_s = 2 },     # unplugged; reopen fails meanwhile
      { kind = "wrong_shape", at_s = 18, duration_s = 1 },    # colour rows missing
      { kind = "zero_depth", at_s = 20, duration_s = 1 },     # depth stream all invalid
      { kind = "time_backwards", at_s = 22, duration_s = 1 }, # clocks jump back 1 s
      { kind = "face_burst", at_s = 24, duration_s = 2, faces = 6 },  # sim only
    ]

Times count from the first successful open; the start and end of each fault are logged.
During a ``disconnect`` the wrapped camera stays open (the link broke, not the camera), so the
time to recover is the daemon's. ``crash`` raises an exception no camera contract
allows (a plugin bug): the capture thread ends, and the daemon must end with it.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import time
from typing import Any

import numpy as np
import pydantic

from camera_plugins.base import (CameraDescription, CameraDisconnected, CameraNotFound, CameraPlugin,
                                 CameraTimeout, PluginOptions)
from camera_plugins.registry import plugin_class
from edge.frames import FrameSet

log = logging.getLogger(__name__)

#: How far back the clocks jump in a ``time_backwards`` fault.
BACKWARDS_JUMP_MS = 1000.0
#: Rows of the colour image dropped by ``wrong_shape``.
MISSING_ROWS = 8


#: Who makes up a face_burst: the demo's own people and attacks (presentation, identity), whose
#: textures the simulator built when it opened, so a burst costs rendering, not identity building.
_CROWD = (("live", 11), ("print_colour", 23), ("screen", 23), ("live", 37), ("mask_3d", 23),
          ("print_bw", 23), ("live", 37), ("print_colour", 23), ("screen", 23), ("live", 11),
          ("mask_3d", 23), ("print_bw", 23))


class FaultKind(str, enum.Enum):
    STALL = "stall"
    DISCONNECT = "disconnect"
    WRONG_SHAPE = "wrong_shape"
    ZERO_DEPTH = "zero_depth"
    TIME_BACKWARDS = "time_backwards"
    FACE_BURST = "face_burst"
    CRASH = "crash"


class Fault(PluginOptions):
    kind: FaultKind
    #: Seconds after the wrapped camera first opened.
    at_s: float = pydantic.Field(ge=0.0)
    duration_s: float = pydantic.Field(default=1.0, gt=0.0)
    #: face_burst: how many faces appear at once.
    faces: int = pydantic.Field(default=6, ge=1, le=12)

    def active(self, elapsed_s: float) -> bool:
        return self.at_s <= elapsed_s < self.at_s + self.duration_s


class FaultOptions(PluginOptions):
    #: The wrapped camera plugin's registered name.
    camera: str
    #: The wrapped plugin's own options (validated against its schema).
    options: dict[str, Any] = pydantic.Field(default_factory=dict)
    plan: list[Fault] = pydantic.Field(default_factory=list)

    @pydantic.model_validator(mode="after")
    def _wrapped_plugin_fits(self) -> FaultOptions:
        if self.camera == "faults":
            raise ValueError("camera = 'faults' would wrap itself; name the camera to break, e.g. 'sim'")
        self.wrapped_options()
        if any(f.kind is FaultKind.FACE_BURST for f in self.plan) and self.camera != "sim":
            raise ValueError(f"a face_burst fault needs camera = 'sim' (it changes the scene), not {self.camera!r}")
        return self

    def wrapped_options(self) -> PluginOptions:
        return plugin_class(self.camera).Options.model_validate(self.options)


class FaultInjectingCamera(CameraPlugin):
    """Entry point ``faults``: the wrapped camera, broken according to ``plan``."""

    name = "faults"
    Options = FaultOptions

    def __init__(self, camera_id: str, options: FaultOptions | None = None) -> None:
        super().__init__(camera_id, options)
        self.options: FaultOptions
        self.camera = plugin_class(self.options.camera)(camera_id, self.options.wrapped_options())
        self._origin: float | None = None
        self._wrapped_open = False
        self._reported: set[FaultKind] = set()
        #: Frames or reads affected, per fault kind (for tests and logs).
        self.injected: dict[FaultKind, int] = {kind: 0 for kind in FaultKind}

    def elapsed_s(self) -> float:
        return 0.0 if self._origin is None else time.monotonic() - self._origin

    def _active(self) -> set[FaultKind]:
        if self._origin is None:
            return set()
        elapsed = self.elapsed_s()
        active = {f.kind for f in self.options.plan if f.active(elapsed)}
        for kind in active ^ self._reported:  # say when each fault begins and ends
            log.warning("faults: camera %s: %s %s at %.2f s", self.camera_id, kind.value,
                        "begins" if kind in active else "ends", elapsed)
        self._reported = active
        return active

    def open(self) -> None:
        if FaultKind.DISCONNECT in self._active():
            self.injected[FaultKind.DISCONNECT] += 1
            raise CameraNotFound(f"faults: camera {self.camera_id!r} unplugged (injected)")
        if not self._wrapped_open:
            self.camera.open()
            self._wrapped_open = True
        if self._origin is None:
            self._origin = time.monotonic()
            if self.options.camera == "sim":
                self._add_face_bursts()

    def read(self, timeout_s: float) -> FrameSet:
        active = self._active()
        for kind in (FaultKind.CRASH, FaultKind.DISCONNECT, FaultKind.STALL):
            if kind in active:
                self.injected[kind] += 1
        if FaultKind.CRASH in active:
            raise RuntimeError(f"faults: injected plugin bug in camera {self.camera_id!r}")
        if FaultKind.DISCONNECT in active:
            raise CameraDisconnected(f"faults: camera {self.camera_id!r} unplugged (injected)")
        if FaultKind.STALL in active:
            time.sleep(timeout_s)  # a stalled camera makes the reader wait its whole timeout
            raise CameraTimeout(f"faults: camera {self.camera_id!r} stalled (injected)")
        return self._corrupt(self.camera.read(timeout_s), active)

    def _corrupt(self, frame: FrameSet, active: set[FaultKind]) -> FrameSet:
        if FaultKind.WRONG_SHAPE in active:
            self.injected[FaultKind.WRONG_SHAPE] += 1
            frame = dataclasses.replace(frame, colour_bgr=frame.colour_bgr[:-MISSING_ROWS])
        if FaultKind.ZERO_DEPTH in active:
            self.injected[FaultKind.ZERO_DEPTH] += 1
            frame = dataclasses.replace(frame, depth_raw=np.zeros_like(frame.depth_raw))
        if FaultKind.TIME_BACKWARDS in active:
            self.injected[FaultKind.TIME_BACKWARDS] += 1
            t = frame.timestamps
            jump_ns = int(BACKWARDS_JUMP_MS * 1e6)
            frame = dataclasses.replace(frame, timestamps=dataclasses.replace(
                t, sensor_ms=t.sensor_ms - BACKWARDS_JUMP_MS, host_wall_ns=t.host_wall_ns - jump_ns,
                host_monotonic_ns=t.host_monotonic_ns - jump_ns))
        return frame

    def _add_face_bursts(self) -> None:
        """Replace the sim's scene source (its public ``scene_at``) with one that shows a crowd
        of faces during each face_burst; the sim renders it like any scene."""
        from camera_plugins.sim.scene import FaceSpec, Scene

        bursts = [f for f in self.options.plan if f.kind is FaultKind.FACE_BURST]
        if not bursts:
            return
        normal_scene_at = self.camera.scene_at

        def scene_at(frame_index: int) -> Scene:
            scene = normal_scene_at(frame_index)
            burst = next((f for f in bursts if f.active(self.elapsed_s())), None)
            if burst is None:
                return scene
            self.injected[FaultKind.FACE_BURST] += 1
            crowd = tuple(FaceSpec(presentation=presentation, identity=identity, distance_mm=650.0 + 50.0 * (i % 3),
                                   position=(0.14 + 0.24 * (i % 4), 0.32 + 0.3 * (i // 4)))
                          for i, (presentation, identity) in enumerate(_CROWD[:burst.faces]))
            return Scene(crowd, scene.lighting, scene.background_seed)

        self.camera.scene_at = scene_at

    def close(self) -> None:
        # An injected disconnect breaks the link, not the camera: the wrapped one stays open,
        # so that a reopen costs what the daemon's recovery costs, not the simulator's start-up.
        if FaultKind.DISCONNECT in self._active():
            return
        self.camera.close()
        self._wrapped_open = False

    def describe(self) -> CameraDescription:
        inner = self.camera.describe()
        plan = [f.model_dump(mode="json") for f in self.options.plan]
        return dataclasses.replace(inner, plugin=self.name, extra={**inner.extra, "wraps": inner.plugin, "faults": plan})

    def hardware_reset(self) -> bool:
        return self.camera.hardware_reset()
