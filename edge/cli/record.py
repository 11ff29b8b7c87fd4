"""``edge-record``: record any registered camera to a recording directory (edge/recording/FORMAT.md).

    edge-record --camera sim --option camera_model=dcam710 --seconds 10 out/dcam710_demo

Stops after ``--seconds`` of capture (measured on the camera's own clock, the frames'
``sensor_ms``, so that an unpaced simulator records as many frames as a real camera would) or
``--frames`` frames, whichever is given, or when the camera disconnects (a finite source such
as a recording), or on Ctrl-C — in each case the recording is closed cleanly and replayable.
The replay plugin paces playback by the host arrival times, so record the simulator paced (its
default) to get a recording that plays back at the camera's rate.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from camera_plugins.base import CameraDisconnected, CameraError, CameraTimeout
from camera_plugins.registry import UnknownPlugin, create_camera, installed_plugins
from edge.cli.options import parse_options
from edge.recording import RecordingError, RecordingWriter

#: A camera that times out this many reads in a row is treated as gone.
MAX_CONSECUTIVE_TIMEOUTS = 5


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edge-record", description=__doc__.split("\n\n")[0])
    plugins = ", ".join(sorted(installed_plugins()))
    parser.add_argument("--camera", required=True, help=f"camera plugin name ({plugins})")
    parser.add_argument(
        "--option", "-o", action="append", default=[], metavar="KEY=VALUE",
        help="camera option; repeat for several (values become int, float, bool or text)",
    )
    parser.add_argument("--camera-id", default="cam0", help="camera id stamped on the frames (default cam0)")
    limit = parser.add_mutually_exclusive_group(required=True)
    limit.add_argument("--seconds", type=float, help="seconds of capture to record")
    limit.add_argument("--frames", type=int, help="number of frames to record")
    parser.add_argument("--read-timeout", type=float, default=2.0, help="seconds to wait for one frame")
    parser.add_argument("out_dir", type=Path, help="new directory to write the recording into")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.seconds is not None and args.seconds <= 0) or (args.frames is not None and args.frames <= 0):
        parser.error("--seconds and --frames must be positive")
    try:
        options = parse_options(args.option)
        camera = create_camera(args.camera, args.camera_id, options)
    except (argparse.ArgumentTypeError, UnknownPlugin, CameraError) as e:
        parser.error(str(e))
    try:
        with camera:
            return _record(camera, args)
    except (CameraError, RecordingError, ValueError) as e:
        print(f"edge-record: {e}", file=sys.stderr)
        return 1


def _record(camera, args: argparse.Namespace) -> int:
    description = camera.describe()
    print(f"recording {description.plugin} {description.model} (serial {description.serial}) to {args.out_dir}")
    writer: RecordingWriter | None = None
    first_ms = last_ms = 0.0
    timeouts = 0
    started_s = last_report_s = time.monotonic()
    try:
        while True:
            try:
                frame = camera.read(timeout_s=args.read_timeout)
            except CameraTimeout:
                timeouts += 1
                if timeouts >= MAX_CONSECUTIVE_TIMEOUTS:
                    raise
                continue
            except CameraDisconnected as e:
                print(f"camera disconnected, stopping: {e}")
                break
            timeouts = 0
            if writer is None:
                first_ms = frame.timestamps.sensor_ms
                # The first frame's camera id names the recording (a replayed camera keeps its own).
                writer = RecordingWriter(args.out_dir, frame.camera_id, description)
            if args.seconds is not None and (frame.timestamps.sensor_ms - first_ms) / 1e3 >= args.seconds:
                break
            writer.append(frame)
            last_ms = frame.timestamps.sensor_ms
            if time.monotonic() - last_report_s >= 1.0:
                last_report_s = time.monotonic()
                print(f"  {writer.frame_count} frames, {(last_ms - first_ms) / 1e3:.1f} s of capture, "
                      f"{writer.bytes_written / 1e6:.1f} MB", flush=True)
            if args.frames is not None and writer.frame_count >= args.frames:
                break
    except KeyboardInterrupt:
        print("interrupted, closing the recording")
    finally:
        if writer is not None:
            writer.close()
    if writer is None or writer.frame_count == 0:
        print("edge-record: no frames were recorded", file=sys.stderr)
        return 1
    print(summary(writer.path, writer.frame_count, writer.bytes_written, last_ms - first_ms,
                  time.monotonic() - started_s))
    return 0


def summary(path: Path, frame_count: int, total_bytes: int, sensor_span_ms: float, wall_s: float) -> str:
    """Size per frame and per second of capture, the camera's rate on its own clock, and how
    fast the frames were written (below the camera's rate means the recorder fell behind)."""
    total_mb = total_bytes / 1e6
    text = (f"wrote {frame_count} frames to {path}: {total_mb:.1f} MB, {total_bytes / frame_count / 1e3:.0f} kB "
            f"per frame, {frame_count / wall_s:.1f} frames written per wall-clock second")
    if frame_count > 1 and sensor_span_ms > 0:
        # n frames span n periods: the n−1 gaps measured plus the one after the last frame.
        period_s = sensor_span_ms / 1e3 / (frame_count - 1)
        text += (f"; camera at {1 / period_s:.1f} fps (sensor clock): {frame_count * period_s:.2f} s of capture, "
                 f"{total_mb / (frame_count * period_s):.1f} MB per second")
    return text


if __name__ == "__main__":
    sys.exit(main())
