"""Measure a running daemon from outside, as a subscriber sees it.

    python -m edge.pipeline.bench --config edge.toml --seconds 60 [--json out.json]

Starts ``edge-daemon run --config FILE`` as a subprocess, subscribes to its decisions and status,
discards the first ``--warm-up-s`` seconds, then for ``--seconds`` records per camera: decisions
per second, capture→publish latency of every decision (publish_wall_ns − capture_wall_ns, both
written by the daemon on the host wall clock), faces per decision, and the drop counters of
the last status (latest-frame slot, publish queue, HWM). Prints a table (count, p50, p90, p99,
max) and optionally writes JSON. The daemon is stopped with SIGTERM at the end.
"""

from __future__ import annotations

import argparse
import json
import platform
import signal
import subprocess
import sys
import time

import numpy as np

from edge.config import load_config
from edge.message_check import Accepted
from edge.messages import MessageKind
from edge.subscriber import Subscriber


def measure(config_path: str, seconds: float, warm_up_s: float) -> dict:
    config = load_config(config_path)
    endpoint = config.publish.endpoints[0].replace("tcp://*:", "tcp://127.0.0.1:")
    daemon = subprocess.Popen([sys.executable, "-m", "edge.cli.daemon", "run", "--config", config_path],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    per_camera: dict[str, dict] = {}
    try:
        with Subscriber([endpoint], expiry_grace_ms=60_000) as subscriber:
            start = time.monotonic()
            while time.monotonic() - start < warm_up_s + seconds:
                message = subscriber.receive(timeout_ms=200)
                if daemon.poll() is not None:
                    raise RuntimeError(f"daemon exited with {daemon.returncode}: {daemon.stderr.read()}")
                if not isinstance(message, Accepted) or time.monotonic() - start < warm_up_s:
                    continue
                stats = per_camera.setdefault(message.camera_id, {"latency_ms": [], "faces": [], "status": None})
                if message.kind is MessageKind.DECISION:
                    body = message.body
                    stats["latency_ms"].append((message.envelope.publish_wall_ns - body.capture_wall_ns) / 1e6)
                    stats["faces"].append(len(body.faces))
                else:
                    stats["status"] = message.body.model_dump(mode="json")
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=10)
    report = {"host": platform.node(), "cpu": platform.processor() or platform.machine(),
              "seconds": seconds, "warm_up_s": warm_up_s, "cameras": {}}
    for camera_id, stats in sorted(per_camera.items()):
        latency = np.asarray(stats["latency_ms"])
        status = stats["status"] or {}
        report["cameras"][camera_id] = {
            "decisions": int(latency.size),
            "decisions_per_s": latency.size / seconds,
            "mean_faces": float(np.mean(stats["faces"])) if stats["faces"] else 0.0,
            "capture_to_publish_ms": {q: float(np.percentile(latency, int(q[1:]))) for q in ("p50", "p90", "p99")}
            | {"max": float(latency.max())} if latency.size else {},
            "drops": status.get("drops"),
            "backend": status.get("backend"),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge.pipeline.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warm-up-s", type=float, default=5.0)
    parser.add_argument("--json", help="also write the report here")
    args = parser.parse_args(argv)
    report = measure(args.config, args.seconds, args.warm_up_s)
    print(f"{'camera':<8} {'dec/s':>6} {'faces':>5} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7}  drops")
    for camera_id, r in report["cameras"].items():
        lat = r["capture_to_publish_ms"]
        print(f"{camera_id:<8} {r['decisions_per_s']:6.1f} {r['mean_faces']:5.2f} {lat.get('p50', 0):7.1f} "
              f"{lat.get('p90', 0):7.1f} {lat.get('p99', 0):7.1f} {lat.get('max', 0):7.1f}  {r['drops']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
