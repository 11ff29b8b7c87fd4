"""The ``replay`` camera: plays a recording made by ``edge-record`` (edge/recording/FORMAT.md).

It goes through the same contract as a live camera, so everything downstream — the capture
thread, its recovery ladder, ``edge-bench`` — runs unchanged on recorded data. Frames come back
exactly as recorded (arrays, metadata and simulator truth), paced like the original capture or
as fast as they can be decoded. The end of a recording is a disconnect, as if the camera had
been unplugged, unless ``loop`` is set.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import ClassVar, Literal

from camera_plugins.base import (
    CameraDescription,
    CameraDisconnected,
    CameraError,
    CameraNotFound,
    CameraPlugin,
    CameraTimeout,
    CameraUnsupported,
    PluginOptions,
)
from edge.frames import FrameSet, Timestamps
from edge.recording import (
    CorruptRecording,
    Recording,
    RecordingError,
    RecordingNotFound,
    UnsupportedRecordingVersion,
)


class ReplayOptions(PluginOptions):
    #: The recording directory (the one holding recording.json).
    path: Path
    #: "recorded": frames are released at the gaps of their recorded host monotonic timestamps,
    #: i.e. as they reached the recording host (a recording of the unpaced simulator therefore
    #: plays at its rendering speed); "fast": each read returns the next frame once decoded.
    pace: Literal["recorded", "fast"] = "recorded"
    #: Start again at the end instead of disconnecting. Later passes keep frame indices and
    #: timestamps increasing by shifting them by whole passes.
    loop: bool = False
    #: Replaces the recorded camera id in every frame (e.g. to replay as a configured camera).
    camera_id: str | None = None
    #: "recorded" keeps the recorded host clocks; "now" stamps each frame when its read returns,
    #: as a live camera would, so that latencies measured downstream are meaningful.
    host_timestamps: Literal["recorded", "now"] = "recorded"


class ReplayCamera(CameraPlugin):
    """A recording played back through the camera contract."""

    name: ClassVar[str] = "replay"
    Options: ClassVar[type[PluginOptions]] = ReplayOptions
    options: ReplayOptions

    def __init__(self, camera_id: str, options: ReplayOptions | None = None) -> None:
        super().__init__(camera_id, options)
        self._recording: Recording | None = None
        self._position = 0
        self._loop_pass = 0
        self._pass_duration_ns = 0
        self._frame_index_span = 0
        self._playback_start_ns: int | None = None

    def open(self) -> None:
        path = Path(self.options.path)
        if not path.exists():
            raise CameraNotFound(f"replay camera {self.camera_id!r}: recording path {str(path)!r} does not exist")
        try:
            recording = Recording(path)
        except RecordingNotFound as e:
            raise CameraNotFound(f"replay camera {self.camera_id!r}: {e}") from e
        except (UnsupportedRecordingVersion, CorruptRecording) as e:
            raise CameraUnsupported(f"replay camera {self.camera_id!r}: {e}") from e
        self._recording = recording
        self._position = 0
        self._loop_pass = 0
        self._playback_start_ns = None
        if len(recording):
            first, last = recording.entries[0], recording.entries[-1]
            recorded_span_ns = recording.host_monotonic_ns(len(recording) - 1) - recording.host_monotonic_ns(0)
            self._pass_duration_ns = recorded_span_ns + _median_gap_ns(recording)
            self._frame_index_span = last["frame_index"] - first["frame_index"] + 1

    def read(self, timeout_s: float) -> FrameSet:
        recording = self._require_open()
        if self._position >= len(recording):
            if not (self.options.loop and len(recording)):
                raise CameraDisconnected(
                    f"replay camera {self.camera_id!r}: end of recording {recording.path} "
                    f"after {len(recording)} frames"
                )
            self._position = 0
            self._loop_pass += 1
        due_ns = self._due_monotonic_ns(recording)
        wait_s = (due_ns - time.monotonic_ns()) / 1e9
        if wait_s > timeout_s:
            time.sleep(max(timeout_s, 0.0))
            raise CameraTimeout(
                f"replay camera {self.camera_id!r}: next recorded frame is due in {wait_s:.3f} s, "
                f"after the {timeout_s:.3f} s timeout"
            )
        try:
            frame = recording.frame(self._position)
        except RecordingError as e:
            raise CameraDisconnected(f"replay camera {self.camera_id!r}: {e}") from e
        # Decoding ran inside the wait: sleep only what is left of it.
        remaining_s = (due_ns - time.monotonic_ns()) / 1e9
        if remaining_s > 0:
            time.sleep(remaining_s)
        self._position += 1
        return self._restamp(frame)

    def close(self) -> None:
        self._recording = None

    def describe(self) -> CameraDescription:
        recording = self._require_open()
        recorded = recording.description
        return dataclasses.replace(
            recorded,
            plugin=self.name,
            extra={
                **recorded.extra,
                "recorded_plugin": recorded.plugin,
                "recording": str(recording.path),
                "recorded_camera_id": recording.camera_id,
                "frames": len(recording),
                "complete": recording.complete,
            },
        )

    def _require_open(self) -> Recording:
        if self._recording is None:
            raise CameraError(
                f"replay camera {self.camera_id!r} is not open (call open() first, not after close())"
            )
        return self._recording

    def _due_monotonic_ns(self, recording: Recording) -> int:
        """When the current frame should be released on this host's monotonic clock."""
        now_ns = time.monotonic_ns()
        if self._playback_start_ns is None:
            self._playback_start_ns = now_ns
        if self.options.pace == "fast":
            return now_ns
        offset_ns = recording.host_monotonic_ns(self._position) - recording.host_monotonic_ns(0)
        return self._playback_start_ns + self._loop_pass * self._pass_duration_ns + offset_ns

    def _restamp(self, frame: FrameSet) -> FrameSet:
        """Apply the camera id override, loop shifts and host clock choice."""
        changes: dict = {}
        if self.options.camera_id is not None:
            changes["camera_id"] = self.options.camera_id
        stamps = frame.timestamps
        if self._loop_pass:
            shift_ns = self._loop_pass * self._pass_duration_ns
            changes["frame_index"] = frame.frame_index + self._loop_pass * self._frame_index_span
            stamps = Timestamps(
                sensor_ms=stamps.sensor_ms + shift_ns / 1e6,
                sensor_domain=stamps.sensor_domain,
                host_wall_ns=stamps.host_wall_ns + shift_ns,
                host_monotonic_ns=stamps.host_monotonic_ns + shift_ns,
            )
        if self.options.host_timestamps == "now":
            stamps = dataclasses.replace(
                stamps, host_wall_ns=time.time_ns(), host_monotonic_ns=time.monotonic_ns()
            )
        if stamps is not frame.timestamps:
            changes["timestamps"] = stamps
        return dataclasses.replace(frame, **changes) if changes else frame


def _median_gap_ns(recording: Recording) -> int:
    """The typical frame period, used as the gap between the last frame of a pass and the next."""
    stamps = [recording.host_monotonic_ns(i) for i in range(len(recording))]
    gaps = sorted(b - a for a, b in zip(stamps, stamps[1:]))
    # A one-frame recording has no gap to measure: assume the usual 30 fps.
    return gaps[len(gaps) // 2] if gaps else 33_333_333
