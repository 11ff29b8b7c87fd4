"""The ``sim`` camera plugin: the simulator behind the same contract as a real camera.

Paced, it releases frames on the camera's schedule against the monotonic clock, and a reader
that falls behind misses frames (their indices are skipped), as with a real camera whose SDK
keeps only the newest frame. Unpaced, it renders frame after frame as fast as it can.
"""

from __future__ import annotations

import math
import time
from typing import Literal

import numpy as np
import pydantic

from camera_plugins.base import (
    CameraDescription, CameraDisconnected, CameraPlugin, CameraTimeout, CameraUnsupported, PluginOptions,
)
from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scenarios import DEMO_LENGTH_S, demo_scene, demo_warm_up_scenes, random_scene
from camera_plugins.sim.scene import Lighting, Scene
from edge.frames import FrameSet


class SimOptions(PluginOptions):
    """Options of the ``sim`` camera (a config section validates against these)."""

    camera_model: Literal["sr300", "dcam710"] = "sr300"
    colour_resolution: Literal["640x480", "1920x1080"] = "640x480"
    #: "demo": the scripted minute; "random": a new random scene every ``random_scene_s``.
    scenario: Literal["demo", "random"] = "demo"
    seed: int = 0
    #: Frames per second the simulated camera delivers.
    fps: float = pydantic.Field(30.0, gt=0, le=120)
    #: Release frames on the camera's schedule (False: as fast as rendering allows).
    paced: bool = True
    #: Repeat the scripted scenario; False ends the stream (CameraDisconnected) after one pass.
    loop: bool = True
    #: Force the lighting of every scene.
    lighting: Literal["normal", "low"] | None = None
    random_scene_s: float = pydantic.Field(2.0, gt=0)


class SimCamera(CameraPlugin):
    """A simulated SR300 or DCAM710 (entry point ``sim``)."""

    name = "sim"
    Options = SimOptions

    def __init__(self, camera_id: str, options: SimOptions | None = None) -> None:
        super().__init__(camera_id, options)
        self.options: SimOptions
        self._renderer: SimRenderer | None = None
        self._start_ns = 0
        self._last_index = -1

    def open(self) -> None:
        try:
            self._renderer = SimRenderer(self.options.camera_model, self.options.colour_resolution,
                                         self.options.seed, fps=self.options.fps)
        except ValueError as e:
            raise CameraUnsupported(f"sim camera {self.camera_id!r}: {e}") from e
        # Like a real camera's start-up: build the room and the people before the clock starts,
        # so that the first seconds of frames are not dropped while caches fill.
        warm_up = demo_warm_up_scenes(self.options.fps) if self.options.scenario == "demo" else [self.scene_at(0)]
        for scene in warm_up:
            self._renderer.prepare(scene)
        self._start_ns = time.monotonic_ns()
        self._last_index = -1

    def close(self) -> None:
        self._renderer = None

    def scene_at(self, frame_index: int) -> Scene:
        """The scene shown at frame ``frame_index`` (pure function of the options)."""
        o = self.options
        if o.scenario == "demo":
            scene = demo_scene(frame_index, o.fps)
        else:
            segment = int(frame_index / (o.random_scene_s * o.fps))
            scene = random_scene(np.random.default_rng([o.seed & 0xFFFFFFFF, segment, 0x5CE]))
        if o.lighting is not None:
            scene = Scene(scene.faces, Lighting(o.lighting), scene.background_seed)
        return scene

    def _stream_length(self) -> int | None:
        if self.options.scenario == "demo" and not self.options.loop:
            return int(round(DEMO_LENGTH_S * self.options.fps))
        return None

    def read(self, timeout_s: float) -> FrameSet:
        if self._renderer is None:
            raise CameraDisconnected(f"sim camera {self.camera_id!r} is not open; call open() first")
        index = self._last_index + 1
        if self.options.paced:
            period_ns = 1e9 / self.options.fps
            now = time.monotonic_ns()
            # Frames the camera produced while nobody read are gone: take the newest due one.
            index = max(index, int(math.floor((now - self._start_ns) / period_ns)))
            wait_s = (self._start_ns + index * period_ns - now) / 1e9
            if wait_s > timeout_s:
                time.sleep(max(timeout_s, 0.0))
                raise CameraTimeout(
                    f"sim camera {self.camera_id!r}: no frame within {timeout_s:g} s (next in {wait_s:.3f} s)")
            if wait_s > 0:
                time.sleep(wait_s)
        length = self._stream_length()
        if length is not None and index >= length:
            raise CameraDisconnected(f"sim camera {self.camera_id!r}: the scripted scenario ended (loop=false)")
        self._last_index = index
        return self._renderer.render(self.scene_at(index), index, camera_id=self.camera_id)

    def describe(self) -> CameraDescription:
        o = self.options
        w, h = o.colour_resolution.split("x")
        fps = f"{o.fps:g}fps"
        model = "Intel RealSense SR300" if o.camera_model == "sr300" else "PICO DCAM710"
        depth_format = "Z16 (1/8 mm)" if o.camera_model == "sr300" else "DepthMM16 (0xFFFF invalid)"
        ir_format = "Y8" if o.camera_model == "sr300" else "Gray16 (full scale 3840)"
        return CameraDescription(
            plugin="sim", model=f"{model} (simulated)", serial=f"SIM-{o.camera_model.upper()}-{o.seed}",
            firmware="simulated", sdk_version="edge-fas simulator",
            streams={"colour": f"{w}x{h} BGR8 {fps}", "depth": f"640x480 {depth_format} {fps}",
                     "ir": f"640x480 {ir_format} {fps}"},
            extra={"scenario": o.scenario, "seed": o.seed, "paced": o.paced, "loop": o.loop},
        )
