"""``edge-sim``: run the simulator's demo scenario at the camera's frame rate and print its truth.

    edge-sim --camera-model dcam710 --seconds 20 --seed 7

Each line is one frame: its index, the scene time, the lighting, every face the simulator put in
the scene (presentation — live or which attack —, subject, box in colour pixels, distance), and
the frame rate actually delivered over the last second. This is the product's demo until the
daemon exists: what the daemon will decide is what these lines say is true.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time

from camera_plugins.base import CameraDisconnected, CameraError
from camera_plugins.registry import create_camera
from edge.frames import FaceTruth, FrameSet

CAMERA_MODELS = ("sr300", "dcam710")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edge-sim", description=__doc__.split("\n\n")[0])
    parser.add_argument("--camera-model", choices=CAMERA_MODELS, default="sr300")
    parser.add_argument("--seconds", type=float, default=None,
                        help="stop after this many seconds (default: play the demo scenario once)")
    parser.add_argument("--seed", type=int, default=0, help="randomises identities; same seed, same frames")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Without --seconds the scenario plays once; with it, it repeats until the time is up.
    options = {"camera_model": args.camera_model, "seed": args.seed, "paced": True, "loop": args.seconds is not None}
    camera = create_camera("sim", "sim0", options)
    try:
        with camera:
            description = camera.describe()
            print(f"{description.model} simulator, seed {args.seed}: {', '.join(description.streams.values())}")
            _run(camera, args.seconds)
    except KeyboardInterrupt:
        pass
    except CameraError as e:
        print(f"edge-sim: {e}", file=sys.stderr)
        return 1
    return 0


def _run(camera, seconds: float | None) -> None:
    arrivals_s: collections.deque[float] = collections.deque()
    started_s = time.monotonic()
    while seconds is None or time.monotonic() - started_s < seconds:
        try:
            frame = camera.read(timeout_s=2.0)
        except CameraDisconnected:
            print("end of the demo scenario")
            return
        now_s = time.monotonic()
        arrivals_s.append(now_s)
        while now_s - arrivals_s[0] > 1.0:
            arrivals_s.popleft()
        fps = (len(arrivals_s) - 1) / (now_s - arrivals_s[0]) if len(arrivals_s) > 1 else 0.0
        print(frame_line(frame, now_s - started_s, fps), flush=True)


def frame_line(frame: FrameSet, elapsed_s: float, fps: float) -> str:
    """One frame's truth as a line of text."""
    truth = frame.truth
    lighting = truth.lighting if truth is not None else "?"
    faces = "; ".join(face_text(f) for f in truth.faces) if truth is not None and truth.faces else "no face"
    return f"frame {frame.frame_index:5d}  {elapsed_s:6.2f} s  {lighting:6s}  {faces}  | {fps:5.1f} fps"


def face_text(face: FaceTruth) -> str:
    x, y, w, h = face.box_xywh_px
    return (f"{face.presentation} (subject {face.subject_id}) box {x:.0f},{y:.0f} {w:.0f}x{h:.0f} px "
            f"at {face.distance_mm / 1000:.2f} m")


if __name__ == "__main__":
    sys.exit(main())
