"""What the benchmark feeds the pipeline: frames released on a known schedule.

A ``FrameBank`` holds frames prepared before the clock starts — rendered by the simulator
(any scenario, or N faces side by side) or read from a recording — so that producing a frame
costs the pipeline's machine nothing, as with a real camera whose SDK hands over finished
frames. ``ScheduledCamera`` plays a bank through the camera plugin contract, so the daemon's
own capture thread reads it:

* **camera-paced**: frame *i* is due at ``start + i / fps``. Its FrameSet carries that *scheduled*
  time as its host timestamps, so every latency downstream is measured from when the camera
  produced the frame, not from when someone got round to reading it (coordinated omission: a
  stall counts against every frame it delays). A reader that falls behind gets the newest due
  frame; the frames in between are dropped at capture, as a camera keeping only its newest frame.
* **closed loop**: frame *i* is released as soon as the decision on frame *i − 1* was published
  (``release()``): one frame in flight per camera, as fast as the pipeline goes.

``stalls`` delay chosen reads (a USB hiccup, a slow SDK) so that a run can prove it sees them.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from camera_plugins.base import CameraDescription, CameraDisconnected, CameraPlugin, CameraTimeout
from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scenarios import demo_scene, random_scene
from camera_plugins.sim.scene import FaceSpec, Scene
from edge.frames import FrameSet, Timestamps

import numpy as np


@dataclasses.dataclass(frozen=True)
class FrameBank:
    """Frames prepared ahead of a run, and where they came from."""

    frames: tuple[FrameSet, ...]
    description: str
    #: "sr300" / "dcam710" when known: picks the model's calibrated threshold.
    camera_model: str = ""

    def __post_init__(self) -> None:
        if not self.frames:
            raise ValueError(f"frame bank {self.description!r} is empty; give at least one frame")


def face_row(faces: int, distance_mm: float = 600.0) -> Scene:
    """``faces`` live faces side by side across the image (different identities)."""
    if faces < 0:
        raise ValueError(f"faces={faces}: must be 0 or more")
    specs = tuple(FaceSpec(identity=i, distance_mm=distance_mm,
                           position=((i + 0.5) / faces, 0.45)) for i in range(faces))
    return Scene(faces=specs)


def sim_bank(scenario: str = "faces", faces: int = 1, frames: int = 30, camera_model: str = "sr300",
             resolution: str = "640x480", fps: float = 30.0, seed: int = 0) -> FrameBank:
    """``frames`` simulator frames: ``scenario`` "faces" (``faces`` live faces, slight sway from the
    sensor noise of each frame), "demo" (the scripted minute, sampled evenly) or "random"."""
    renderer = SimRenderer(camera_model, resolution, seed)
    if scenario == "faces":
        scenes = [face_row(faces)] * frames
    elif scenario == "demo":
        step = max(1, int(60 * fps) // frames)
        scenes = [demo_scene(i * step, fps) for i in range(frames)]
    elif scenario == "random":
        scenes = [random_scene(np.random.default_rng([seed, i])) for i in range(frames)]
    else:
        raise ValueError(f"scenario={scenario!r}: use 'faces', 'demo' or 'random'")
    rendered = tuple(renderer.render(scene, i) for i, scene in enumerate(scenes))
    what = f"{faces} face(s)" if scenario == "faces" else f"scenario {scenario}"
    return FrameBank(rendered, f"sim {camera_model} {resolution}, {what}, {frames} distinct frames, seed {seed}",
                     camera_model)


def recording_bank(path: str | Path, max_frames: int = 300) -> FrameBank:
    """The first ``max_frames`` frames of an ``edge-record`` recording."""
    from edge.recording import Recording

    recording = Recording(path)
    frames = []
    for frame in recording:
        frames.append(frame)
        if len(frames) >= max_frames:
            break
    return FrameBank(tuple(frames), f"recording {path} ({len(frames)} of {len(recording)} frames)")


class ScheduledCamera(CameraPlugin):
    """A frame bank behind the camera contract, released camera-paced or closed loop."""

    name = "bench"

    def __init__(self, camera_id: str, bank: FrameBank, fps: float = 30.0, paced: bool = True,
                 stalls: Mapping[int, float] | None = None) -> None:
        super().__init__(camera_id, None)
        if not fps > 0:
            raise ValueError(f"fps={fps!r}: must be > 0")
        self.bank = bank
        self.camera_model = bank.camera_model
        self.fps = fps
        self.paced = paced
        #: Frame index → milliseconds its read is held back past its due time.
        self.stalls = dict(stalls or {})
        self._start_ns: int | None = None
        self._wall_offset_ns = time.time_ns() - time.monotonic_ns()
        self._last_index = -1
        self._released = threading.Semaphore(1)
        self._open = False
        #: Frames the camera produced that no read took (a reader late by more than a period).
        self.skipped = 0

    @property
    def start_ns(self) -> int | None:
        """When frame 0 was due (monotonic ns); None before the clock started."""
        return self._start_ns

    @property
    def period_ns(self) -> float:
        return 1e9 / self.fps

    def start_clock(self, start_ns: int) -> None:
        """Frame 0 is due at ``start_ns`` (monotonic): cameras sharing a start are in phase."""
        self._start_ns = start_ns
        self._last_index = -1

    def release(self) -> None:
        """Closed loop: the previous frame is done; let the next one go."""
        self._released.release()

    def open(self) -> None:
        self._open = True
        if self._start_ns is None:
            self.start_clock(time.monotonic_ns())

    def close(self) -> None:
        self._open = False

    def read(self, timeout_s: float) -> FrameSet:
        if not self._open:
            raise CameraDisconnected(f"bench camera {self.camera_id!r} is not open")
        index = self._last_index + 1
        if self.paced:
            due_ns = self._wait_paced(index, timeout_s)
            index = round((due_ns - self._start_ns) / self.period_ns)
        else:
            if not self._released.acquire(timeout=timeout_s):
                raise CameraTimeout(f"bench camera {self.camera_id!r}: previous frame not done in {timeout_s:g} s")
            due_ns = time.monotonic_ns()
        stall_ms = self.stalls.get(index, 0.0)
        if stall_ms:
            time.sleep(stall_ms / 1000)
        self.skipped += index - self._last_index - 1
        self._last_index = index
        return self.frame_at(index, due_ns)

    def _wait_paced(self, index: int, timeout_s: float) -> int:
        now = time.monotonic_ns()
        index = max(index, math.floor((now - self._start_ns) / self.period_ns))
        due_ns = self._start_ns + round(index * self.period_ns)
        wait_s = (due_ns - now) / 1e9
        if wait_s > timeout_s:
            time.sleep(max(timeout_s, 0.0))
            raise CameraTimeout(f"bench camera {self.camera_id!r}: next frame in {wait_s:.3f} s")
        if wait_s > 0:
            time.sleep(wait_s)
        return due_ns

    def frame_at(self, index: int, due_ns: int) -> FrameSet:
        """Bank frame ``index`` (looping) as this camera delivers it when due at ``due_ns``."""
        frame = self.bank.frames[index % len(self.bank.frames)]
        stamps = Timestamps(sensor_ms=(due_ns - (self._start_ns or 0)) / 1e6, sensor_domain="bench schedule",
                            host_wall_ns=due_ns + self._wall_offset_ns, host_monotonic_ns=due_ns)
        return dataclasses.replace(frame, camera_id=self.camera_id, frame_index=index, timestamps=stamps)

    def wall_to_monotonic_ns(self, wall_ns: int) -> int:
        return wall_ns - self._wall_offset_ns

    def describe(self) -> CameraDescription:
        mode = f"camera-paced {self.fps:g} fps" if self.paced else "closed loop"
        return CameraDescription(plugin="bench", model=self.bank.description, serial=self.camera_id,
                                 firmware="-", sdk_version="edge-bench", streams={"all": mode},
                                 extra={"stalls": {str(k): v for k, v in self.stalls.items()}})


def in_phase(cameras: Sequence[ScheduledCamera], lead_s: float = 0.2) -> None:
    """Start every camera's clock together, ``lead_s`` from now."""
    start_ns = time.monotonic_ns() + int(lead_s * 1e9)
    for camera in cameras:
        camera.start_clock(start_ns)
