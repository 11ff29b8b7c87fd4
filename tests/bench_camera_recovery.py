"""Time from a simulated disconnect to frames flowing again, through the capture thread's
recovery ladder, for both real-camera plugins (``python -m tests.bench_camera_recovery``).

- dcam710: the fake vendor library (tests/vzense_fake) pulls the cable after 10 frames and
  the device is back after ``--gone-ms``; measured from the read that returned -1 to the
  next frame in the slot, so it is the gone time plus what the ladder adds (back-off, reopen).
- sr300: a recording played through rs.pipeline ends (a disconnect); measured from the end to
  the first frame of the reopened pipeline.

Prints the median and the range over ``--runs`` outages (wall clock; the ladder's back-off
starts at ``--backoff-ms``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from camera_plugins.registry import create_camera
from edge.messages import CameraState
from edge.pipeline.capture import CaptureThread
from edge.pipeline.slot import LatestFrameSlots
from tests._rs_recording import render_sim_frames, write_sr300_recording
from tests._vzense_fake import FakeControl, compile_fake, fake_camera, write_fake_frames


def _outage_to_frame_s(thread: CaptureThread, timeout_s: float = 30.0) -> float:
    """Wait for the next outage, then time it until the next captured frame."""
    deadline = time.monotonic() + timeout_s
    while thread.state is not CameraState.RECONNECTING:
        if time.monotonic() > deadline:
            raise TimeoutError("no outage happened")
        time.sleep(0.0005)
    lost = time.monotonic()
    frames = thread.frames
    while thread.frames == frames:
        if time.monotonic() > deadline:
            raise TimeoutError("frames did not come back")
        time.sleep(0.0005)
    return time.monotonic() - lost


def _thread(camera, backoff_s: float) -> CaptureThread:
    return CaptureThread("cam", camera, LatestFrameSlots(["cam"]), read_timeout_s=0.5,
                         backoff_initial_s=backoff_s, backoff_max_s=1.0)


def bench_dcam710(work: Path, runs: int, gone_ms: int, backoff_s: float) -> list[float]:
    frames = write_fake_frames(work / "frames", 2)
    library = compile_fake(work)
    times = []
    for run in range(runs):
        sdk = fake_camera(work / f"camera{run}", library, frames)
        control = FakeControl(sdk)
        control.set_fps(30)
        control.unplug_after(10, gone_ms)
        thread = _thread(create_camera("dcam710", "cam", {"sdk_library": str(sdk), "enumerate_timeout_s": 0.0}),
                         backoff_s)
        thread.start()
        times.append(_outage_to_frame_s(thread))
        thread.stop()
        thread.join(2.0)
    return times


def bench_sr300(work: Path, runs: int, backoff_s: float) -> list[float]:
    recording = write_sr300_recording(work / "sr300.bag", render_sim_frames(5))
    thread = _thread(create_camera("sr300", "cam", {"playback_file": str(recording.path)}), backoff_s)
    thread.start()
    times = [_outage_to_frame_s(thread) for _ in range(runs)]
    thread.stop()
    thread.join(3.0)
    return times


def _summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return f"{name}: disconnect → frames again: median {statistics.median(ms):.0f} ms (min {ms[0]:.0f}, max {ms[-1]:.0f}, n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gone-ms", type=int, default=300, help="how long the fake DCAM710 stays unplugged")
    parser.add_argument("--backoff-ms", type=float, default=500.0, help="the ladder's first back-off (daemon default 500)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(_summary(f"dcam710 (fake SDK, unplugged {args.gone_ms} ms)",
                       bench_dcam710(work, args.runs, args.gone_ms, args.backoff_ms / 1000)))
        print(_summary("sr300 (end of a recording through rs.pipeline)",
                       bench_sr300(work, args.runs, args.backoff_ms / 1000)))


if __name__ == "__main__":
    main()
