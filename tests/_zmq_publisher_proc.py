"""A real Publisher in its own process, driven line by line over stdin by the ZeroMQ tests.

    python tests/_zmq_publisher_proc.py '<PublishConfig as JSON>'

Prints ``READY {"endpoints": [...], "snapshot_endpoints": [...]}`` once bound (or
``BIND_ERROR <message>`` and exits 3), then obeys one command per line:

* ``warmup <camera>``: send a status for <camera> every 20 ms until the next command, so a
  test can wait until its subscription is live (ZeroMQ's slow-joiner problem);
* ``publish <camera> <count> <interval_ms> <faces> <crop_px> <ttl_ms>``: hand that many
  decisions to the publisher at that pace (crop_px 0: no crops), then print ``DONE {...}``
  with the publisher's counters, the queue's drops and the time the pacing loop took;
* ``status <camera>``: one status message; ``counters``: print ``COUNTERS {...}``;
* ``quit``: stop the publisher (bounded linger) and exit 0.
"""

from __future__ import annotations

import json
import os
import select
import sys
import time
from dataclasses import asdict

import numpy as np

# Run as a script, so its own folder (tests/) is first on sys.path.
from _zmq_fixtures import sample_decision, sample_status

from edge.publishing.publisher import PublishBindError, PublishConfig, Publisher


class _LineReader:
    """Lines from a pipe without Python's buffering, so select() and reads agree."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = b""

    def next_line(self, timeout_s: float) -> str | None:
        while b"\n" not in self._buffer:
            readable, _, _ = select.select([self._fd], [], [], timeout_s)
            if not readable:
                return None
            chunk = os.read(self._fd, 65536)
            if not chunk:
                return "quit"  # the test closed our stdin
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()


def _counters(publisher: Publisher) -> dict:
    counters = asdict(publisher.counters())
    counters["queue_dropped"] = publisher.queue.dropped_total()
    return counters


def _publish(publisher: Publisher, camera: str, count: int, interval_ms: float, faces: int, crop_px: int,
             ttl_ms: float) -> dict:
    rng = np.random.default_rng(0)
    crops = ()
    if crop_px:
        # Noise compresses badly: large frames fill a stalled subscriber's buffers quickly.
        crops = tuple(rng.integers(0, 256, (crop_px, crop_px, 3), dtype=np.uint8) for _ in range(faces))
    started = time.monotonic()
    for i in range(count):
        publisher.queue.offer(sample_decision(camera, frame_index=i, faces=faces, ttl_ms=ttl_ms), crops=crops)
        next_at = started + (i + 1) * interval_ms / 1000
        time.sleep(max(0.0, next_at - time.monotonic()))
    elapsed_s = time.monotonic() - started
    deadline = time.monotonic() + 5
    while publisher.counters().messages_sent < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"elapsed_s": elapsed_s, **_counters(publisher)}


def main() -> int:
    config = PublishConfig.model_validate_json(sys.argv[1])
    publisher = Publisher(config)
    try:
        publisher.start()
    except PublishBindError as error:
        print(f"BIND_ERROR {error}", flush=True)
        return 3
    ready = {"endpoints": publisher.bound_endpoints, "snapshot_endpoints": publisher.bound_snapshot_endpoints}
    print(f"READY {json.dumps(ready)}", flush=True)
    warmup_camera = None
    lines = _LineReader(sys.stdin.fileno())
    while True:
        if warmup_camera is not None:
            publisher.queue.offer(sample_status(warmup_camera))
        line = lines.next_line(0.02)
        if line is None:
            continue
        words = line.split()
        if not words or words[0] == "quit":
            break
        warmup_camera = None
        command, args = words[0], words[1:]
        if command == "warmup":
            warmup_camera = args[0]
        elif command == "publish":
            camera, count, interval_ms, faces, crop_px, ttl_ms = args
            result = _publish(publisher, camera, int(count), float(interval_ms), int(faces), int(crop_px),
                              float(ttl_ms))
            print(f"DONE {json.dumps(result)}", flush=True)
        elif command == "status":
            publisher.queue.offer(sample_status(args[0]))
        elif command == "noop":
            pass
        elif command == "counters":
            print(f"COUNTERS {json.dumps(_counters(publisher))}", flush=True)
        else:
            print(f"UNKNOWN {command}", flush=True)
    started = time.monotonic()
    publisher.stop()
    print(f"STOPPED {json.dumps({'stop_s': time.monotonic() - started})}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
