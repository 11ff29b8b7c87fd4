"""The capture thread: one per camera, blocking SDK reads into that camera's latest-frame slot.

The thread owns its camera plugin (plugins are used from one thread only) and runs the recovery
ladder the plugin contract's typed errors are made for, one rung at a time, each logged and
recorded in ``recovery_step`` for the status:

1. ``CameraTimeout``: the read already waited its timeout, so simply read again; the camera is
   reported ``stalled`` until a frame arrives.
2. ``timeouts_before_reopen`` timeouts in a row, ``CameraDisconnected`` or ``CameraNotFound``:
   close, wait (exponential back-off, interrupted at once by shutdown), reopen; the camera is
   reported ``reconnecting``. The back-off stops growing at 1 s, so that frames flow again
   within 2 s of the camera coming back (issue 10); a reopen attempt costs little.
3. ``reopens_before_reset`` failed reopens in a row: ask the plugin for a hardware reset
   (``CameraPlugin.hardware_reset``; RealSense resets the USB device), once per outage.
4. Still no camera ``give_up_after_s`` after the outage began: the thread ends with
   ``CameraRecoveryExhausted``; the daemon sees a dead thread and exits non-zero so that the
   service manager restarts the process (some USB faults clear only then).

A malformed frame (``FrameSet.validate`` fails, clocks went back, or depth has no valid pixel)
is counted and skipped. ``CameraUnsupported`` or
any other exception ends the thread with the error recorded, as in step 4.

Nothing here spins: every loop iteration either blocks in the SDK read or waits on the stop event.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass

from camera_plugins.base import (CameraDisconnected, CameraNotFound, CameraPlugin,
                                 CameraTimeout, CameraUnsupported)
from edge.frames import FrameSet
from edge.messages import CameraState
from edge.pipeline.slot import LatestFrameSlots
from edge.timing import RateMeter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CapturedFrame:
    """A FrameSet and how long the capture thread waited for it."""

    frameset: FrameSet
    capture_wait_ms: float


#: Frames in a row stamped earlier than the last good one after which the camera's new clock is
#: believed (about 2 s at 30 fps); until then such frames are skipped, never published with a
#: time in the past.
REBASE_AFTER_FRAMES = 60


class CameraRecoveryExhausted(RuntimeError):
    """The ladder's last rung: the camera stayed away; restart the process."""


class CaptureThread(threading.Thread):
    def __init__(self, camera_id: str, camera: CameraPlugin, slots: LatestFrameSlots,
                 read_timeout_s: float = 1.0, backoff_initial_s: float = 0.5,
                 backoff_max_s: float = 1.0, timeouts_before_reopen: int = 5,
                 reopens_before_reset: int = 3, give_up_after_s: float | None = 300.0) -> None:
        super().__init__(name=f"capture-{camera_id}", daemon=True)
        self.camera_id = camera_id
        self.camera = camera
        self._slots = slots
        self._read_timeout_s = read_timeout_s
        self._backoff_initial_s = backoff_initial_s
        self._backoff_max_s = backoff_max_s
        self._timeouts_before_reopen = timeouts_before_reopen
        self._reopens_before_reset = reopens_before_reset
        self._give_up_after_s = give_up_after_s
        self._stop_event = threading.Event()
        # Under systemd each line carries a CAMERA_ID journal field (journalctl CAMERA_ID=cam1).
        self._log = logging.LoggerAdapter(log, {"CAMERA_ID": camera_id})
        #: Set once the camera opened for the first time (the daemon's readiness waits on it).
        self.opened = threading.Event()
        self.state = CameraState.OPENING
        self.description = None
        self.rate = RateMeter()
        self.frames = 0
        self.timeouts = 0
        self.reconnects = 0
        self.bad_frames = 0
        self.hardware_resets = 0
        #: The ladder's latest rung: "", "retry", "reopen", "hardware_reset" or "give_up".
        self.recovery_step = ""
        self._consecutive_timeouts = 0
        self._failed_reopens = 0
        self._outage_began: float | None = None
        self._reset_tried = False
        #: Timestamps of the last good frame since the camera (re)opened.
        self._last_timestamps = None
        self._frames_behind = 0
        #: The exception that ended the thread, if one did.
        self.error: BaseException | None = None

    def stop(self) -> None:
        self._stop_event.set()

    @property
    def stopping(self) -> bool:
        return self._stop_event.is_set()

    def run(self) -> None:
        try:
            self._loop()
        except BaseException as e:  # recorded for the daemon, which exits non-zero on it
            self.error = e
            self.state = CameraState.FAILED
            self._log.error("camera %s: capture thread failed: %s", self.camera_id, e)
        finally:
            self.camera.close()
            if self.error is None:
                self.state = CameraState.CLOSED

    def _loop(self) -> None:
        backoff_s = self._backoff_initial_s
        is_open = False
        while not self._stop_event.is_set():
            if not is_open:
                is_open = self._try_open()
                if not is_open:
                    self._after_failed_open()
                    self._stop_event.wait(backoff_s)
                    backoff_s = min(backoff_s * 2.0, self._backoff_max_s)
                    continue
                backoff_s = self._backoff_initial_s
            start_ns = time.perf_counter_ns()
            try:
                frameset = self.camera.read(self._read_timeout_s)
            except CameraTimeout:
                self.timeouts += 1
                self._consecutive_timeouts += 1
                if self._consecutive_timeouts < self._timeouts_before_reopen:
                    self.recovery_step = "retry"
                    if self.state is not CameraState.STALLED:
                        self._log.warning("camera %s: no frame within %.2f s; retrying", self.camera_id,
                                    self._read_timeout_s)
                    self.state = CameraState.STALLED
                    continue
                is_open = self._lost(f"{self._consecutive_timeouts} reads in a row timed out")
                self._stop_event.wait(backoff_s)
                continue
            except (CameraDisconnected, CameraNotFound) as e:
                is_open = self._lost(f"disconnected ({e})")
                self._stop_event.wait(backoff_s)
                continue
            wait_ms = (time.perf_counter_ns() - start_ns) / 1e6
            try:
                frameset.validate()
                self._check_content(frameset)
            except ValueError as e:
                self.bad_frames += 1
                self._log.warning("camera %s: bad frame %s skipped: %s", self.camera_id, frameset.frame_index, e)
                continue
            if frameset.camera_id != self.camera_id:  # e.g. a recording of another camera:
                frameset = dataclasses.replace(frameset, camera_id=self.camera_id)  # config wins
            self._last_timestamps = frameset.timestamps
            self.state = CameraState.STREAMING
            self._consecutive_timeouts = 0
            self._outage_began = None
            self.frames += 1
            self.rate.tick()
            self._slots.put(self.camera_id, CapturedFrame(frameset, wait_ms))

    def _check_content(self, frameset: FrameSet) -> None:
        """What ``FrameSet.validate`` cannot see from one frame alone: clocks that went back
        since the previous good frame of this session (a glitching camera or a bad recording;
        the tracker and smoothing assume time moves forward), and a depth image without one
        valid pixel (a dead projector or sensor: no face could get a decision from it)."""
        last = self._last_timestamps
        now = frameset.timestamps
        if last is not None and (now.sensor_ms < last.sensor_ms or now.host_monotonic_ns < last.host_monotonic_ns):
            self._frames_behind += 1
            if self._frames_behind >= REBASE_AFTER_FRAMES:
                # Not a glitch: the clock restarted (e.g. a 32-bit sensor counter wrapped).
                # Follow the new clock rather than wait for the old time to come round.
                self._last_timestamps = now
                self._frames_behind = 0
            raise ValueError(f"timestamps go backwards (sensor {last.sensor_ms:.1f} → {now.sensor_ms:.1f} ms)")
        self._frames_behind = 0
        if not frameset.depth_raw.any():
            raise ValueError("depth is all zero (no valid pixel)")

    def _lost(self, why: str) -> bool:
        """Rung 2: close the camera so that the loop reopens it; returns the new is_open."""
        self._log.warning("camera %s: %s; reopening", self.camera_id, why)
        self.camera.close()
        self._consecutive_timeouts = 0
        if self._outage_began is None:
            self._outage_began = time.monotonic()
            self._failed_reopens = 0
            self._reset_tried = False
        self.recovery_step = "reopen"
        self.state = CameraState.RECONNECTING
        return False

    def _after_failed_open(self) -> None:
        """Rungs 3 and 4, after a reopen failed."""
        if self._outage_began is None:
            self._outage_began = time.monotonic()
        self._failed_reopens += 1
        if self._failed_reopens >= self._reopens_before_reset and not self._reset_tried:
            self._reset_tried = True
            self.recovery_step = "hardware_reset"
            try:
                done = self.camera.hardware_reset()
            except Exception as e:  # a reset can fail like the camera did; the ladder goes on
                self._log.warning("camera %s: hardware reset failed: %s", self.camera_id, e)
                done = False
            self.hardware_resets += int(done)
            self._log.warning("camera %s: %d reopens failed; hardware reset %s", self.camera_id,
                        self._failed_reopens, "done" if done else "not available")
        outage_s = time.monotonic() - self._outage_began
        if self._give_up_after_s is not None and outage_s >= self._give_up_after_s:
            self.recovery_step = "give_up"
            raise CameraRecoveryExhausted(
                f"camera {self.camera_id}: still unavailable after {outage_s:.0f} s and "
                f"{self._failed_reopens} reopens; exiting so that the service manager restarts the process")

    def _try_open(self) -> bool:
        try:
            self.camera.open()
            self.description = self.camera.describe()
        except CameraUnsupported:
            raise  # a wrong mode or model: retrying cannot help
        except (CameraNotFound, CameraDisconnected, CameraTimeout) as e:
            self.camera.close()
            self.state = CameraState.RECONNECTING
            self._log.warning("camera %s: not available (%s); retrying", self.camera_id, e)
            return False
        self._failed_reopens = 0
        self._last_timestamps = None  # a reopened camera may restart its sensor clock
        self._frames_behind = 0
        self.recovery_step = ""
        if self.opened.is_set():
            self.reconnects += 1
            self._log.info("camera %s: reconnected", self.camera_id)
        else:
            self._log.info("camera %s: opened %s", self.camera_id, self.description)
        self.opened.set()
        self.state = CameraState.STREAMING
        return True


