"""``edge-daemon``: run the anti-spoofing daemon, or check a configuration file.

    edge-daemon run                          # embedded default: sim camera demo, shipped model
    edge-daemon run --config /etc/edge/edge.toml --foreground
    edge-daemon check-config /etc/edge/edge.toml

``--foreground`` prints every decision with faces (one line per face: camera, frame, track,
state, live score, box) and each status as they are published, so a newcomer sees live/spoof
decisions flowing. Exit codes: 0 stopped by SIGTERM/SIGINT; 78 configuration error or CURVE
key missing or readable by others (nothing was started); 69 a publish endpoint is in use; 70 a
thread died (systemd restarts the daemon).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from edge.config import EX_CONFIG, ConfigError, check_model, load_config
from edge.pipeline.daemon import EXIT_UNAVAILABLE, Daemon
from edge.publishing.publisher import PublishBindError
from edge.security.keys import KeyFileError
from edge.service import configure_logging
from engines.runtime import EngineError

log = logging.getLogger("edge-daemon")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edge-daemon", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the daemon until SIGTERM/SIGINT")
    run.add_argument("--config", help="TOML configuration file (default: the embedded one)")
    run.add_argument("--foreground", action="store_true",
                     help="print decisions and status on stdout as they are published")
    check = commands.add_parser("check-config", help="validate a configuration and its model, then exit")
    check.add_argument("config", help="TOML configuration file")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
        if args.command == "check-config":
            sidecar = check_model(config)
            print(f"{config.source}: valid; {len(config.cameras)} camera(s) "
                  f"({', '.join(f'{c.id}={c.plugin}' for c in config.cameras)}); model "
                  f"{config.model_path()} ({sidecar.model.architecture}), backend {config.engine.backend}")
            return 0
        configure_logging(config.logging.level, config.logging.journal)
        daemon = Daemon(config, config_path=args.config,
                        on_published=print_published if args.foreground else None)
        daemon.install_signal_handlers()
        code = daemon.run()
    except ConfigError as e:
        print(e.report(), file=sys.stderr)
        return EX_CONFIG
    except EngineError as e:
        print(f"edge-daemon: engine: {e}", file=sys.stderr)
        return EX_CONFIG
    except KeyFileError as e:  # CURVE keys: a restart cannot fix a missing or exposed key
        print(f"edge-daemon: publish security: {e}", file=sys.stderr)
        return EX_CONFIG
    except PublishBindError as e:
        print(f"edge-daemon: publish: {e}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    # Cameras, sockets and the engine are closed by now. Skip the interpreter's teardown of the
    # native libraries (OpenCV, ONNX Runtime, numba): on a loaded box it took over a second,
    # and systemd's stop (and issue 6) gives the whole shutdown 2 s.
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def print_published(topic: bytes, payload: bytes) -> None:
    """One line per face of a decision, one line per status (runs in the publisher thread)."""
    message = json.loads(payload)
    camera = message["camera_id"]
    if topic.endswith(b"/status/"):
        drops = message["drops"]
        print(f"[{camera}] status: {message['camera_state']}, {message['capture_fps']:.1f} fps "
              f"captured, {message['processed_fps']:.1f} processed, slot drops "
              f"{drops['stages'].get('latest_frame_slot', 0)}, hwm drops {drops['publish_hwm']}, "
              f"backend {message['backend']['name']}", flush=True)
        return
    for face in message["faces"]:
        score = "  n/a" if face["live_score"] is None else f"{face['live_score']:.3f}"
        box = face["box"]
        print(f"[{camera}] frame {message['frame_index']:6d} track {face['track_id']:3d} "
              f"{face['state']:<15} live {score} (threshold {message['threshold']:.3f}) "
              f"box {box['x_px']:.0f},{box['y_px']:.0f} {box['width_px']:.0f}x{box['height_px']:.0f} "
              f"{face['modality']}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
