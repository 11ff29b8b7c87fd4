"""Benchmark of the ZeroMQ side: what publishing costs the worker, the publisher thread and a subscriber.

    python -m edge.publishing.bench [--seconds 10] [--fps 30] [--cameras 2] [--faces 1] [--json out.json]

Camera-paced: decisions for each camera are handed over at ``--fps`` (times scheduled in
advance, so a stall shows as latency rather than being skipped), over loopback TCP, to one
subscriber process that reads and validates everything (``edge-sub --json``). Run twice: alone,
and with a second subscriber that connects and never reads. Reported per run:

* hand-off: CPU time of ``PublishQueue.offer`` in the calling (worker) thread, per message;
* publisher thread CPU time per message (``pthread_getcpuclockid``), JPEG crops on or off
  (paced, this includes the cost of waking up with cold caches between frames);
* hand-off → sent and capture → sent latency (p50/p99/max, wall clock) from the publisher's own
  timings; messages refused at the HWM; hand-off queue drops;
* subscriber side: CPU time to check one message (schema, topic, freshness), in this process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
import zmq

from edge.message_check import decode
from edge.messages import (
    DECISION_SCHEMA,
    BackendInfo,
    BoxPx,
    Decision,
    Envelope,
    FaceDecision,
    FaceState,
    ModelInfo,
    encode_payload,
)
from edge.publishing.config import PublishConfig
from edge.publishing.stats import percentiles
from edge.publishing.publisher import Publisher

_MODEL = ModelInfo(id="bench", sha256="0" * 64)
_BACKEND = BackendInfo(name="onnxruntime")


def _decision(camera_id: str, frame_index: int, faces: int) -> Decision:
    now = time.time_ns()
    return Decision(
        camera_id=camera_id, frame_index=frame_index, capture_wall_ns=now, expires_wall_ns=now + 500_000_000,
        model=_MODEL, backend=_BACKEND, threshold=0.5,
        faces=[FaceDecision(track_id=i, box=BoxPx(x_px=50.0 * i, y_px=40.0, width_px=48.0, height_px=56.0),
                            detector_score=0.9, live_score=0.8, state=FaceState.LIVE,
                            latency_ms={"detection": 7.5, "inference": 4.0}) for i in range(faces)],
    )


def run(seconds: float, fps: float, cameras: int, faces: int, crops: bool, stalled: bool, send_hwm: int) -> dict:
    config = PublishConfig(endpoints=["tcp://127.0.0.1:*"], snapshot_endpoints=["tcp://127.0.0.1:*"],
                           jpeg_crops=crops, send_hwm=send_hwm)
    publisher = Publisher(config)
    publisher.start()
    reader = subprocess.Popen([sys.executable, "-m", "edge.cli.sub", "--endpoint", publisher.bound_endpoints[0],
                               "--json", "--expiry-grace-ms", "60000"], stdout=subprocess.DEVNULL)
    context = zmq.Context()
    stalled_socket = None
    if stalled:
        stalled_socket = context.socket(zmq.SUB)
        stalled_socket.setsockopt(zmq.LINGER, 0)
        stalled_socket.setsockopt(zmq.RCVHWM, 1)
        stalled_socket.subscribe(b"fas/")
        stalled_socket.connect(publisher.bound_endpoints[0])
    time.sleep(1.5)  # the reader process starts and subscribes
    crop = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8) if crops else None
    thread_clock = time.pthread_getcpuclockid(publisher.thread_ident)
    offer_cpu_s = 0.0
    sent_before = publisher.counters().messages_sent
    cpu_before = time.clock_gettime(thread_clock)
    start = time.monotonic()
    frames = int(seconds * fps)
    for index in range(frames):
        time.sleep(max(0.0, start + index / fps - time.monotonic()))
        for camera in range(cameras):
            decision = _decision(f"cam{camera + 1}", index, faces)
            t0 = time.thread_time()
            publisher.queue.offer(decision, crops=(crop,) * faces if crops else ())
            offer_cpu_s += time.thread_time() - t0
    time.sleep(0.5)
    counters = publisher.counters()
    sent = counters.messages_sent - sent_before
    publisher_cpu_s = time.clock_gettime(thread_clock) - cpu_before
    publisher.stop()
    reader.terminate()
    reader.wait(10)
    if stalled_socket is not None:
        stalled_socket.close()
    context.term()
    latency = percentiles([ms for camera in range(cameras)
                           for ms in publisher.stats.samples(f"cam{camera + 1}", "capture_to_publish")])
    return {
        "stalled_subscriber": stalled, "jpeg_crops": crops, "messages": sent,
        "offer_cpu_us_per_message": 1e6 * offer_cpu_s / max(1, frames * cameras),
        "publisher_cpu_us_per_message": 1e6 * publisher_cpu_s / max(1, sent),
        "capture_to_sent_ms": latency.model_dump(),
        "hwm_refusals": counters.hwm_dropped_total, "queue_drops": publisher.queue.dropped_total(),
    }


def decode_cost_us(faces: int, repeats: int = 500) -> float:
    envelope = Envelope(schema=DECISION_SCHEMA, schema_version=1, publisher_id="bench", publisher_instance="0" * 32,
                        sequence=0, topic_sequence=0, publish_wall_ns=time.time_ns())
    frames = [b"fas/cam1/decision/", encode_payload(envelope, _decision("cam1", 0, faces))]
    samples = []
    for _ in range(5):
        t0 = time.process_time()
        for _ in range(repeats):
            decode(frames)
        samples.append((time.process_time() - t0) / repeats)
    return 1e6 * float(np.median(samples))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge.publishing.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--cameras", type=int, default=2)
    parser.add_argument("--faces", type=int, default=1)
    parser.add_argument("--send-hwm", type=int, default=1000,
                        help="publish.send_hwm; a small value makes the stalled subscriber overflow sooner")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    results = {
        "schema": "edge-fas.publish-bench", "schema_version": 1,
        "environment": {"python": platform.python_version(), "machine": platform.machine(),
                        "pyzmq": zmq.__version__, "libzmq": zmq.zmq_version(), "cpus": _cpu_count()},
        "scenario": {"seconds": args.seconds, "fps": args.fps, "cameras": args.cameras, "faces": args.faces,
                     "send_hwm": args.send_hwm},
        "runs": [run(args.seconds, args.fps, args.cameras, args.faces, crops, stalled, args.send_hwm)
                 for crops, stalled in ((False, False), (False, True), (True, False), (True, True))],
        "subscriber_check_us": {f"{n}_faces": decode_cost_us(n) for n in (1, 4)},
    }
    print(f"{'crops':<6} {'stalled':<8} {'msgs':>6} {'offer µs':>9} {'pub µs':>8} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'hwm':>5} {'qdrop':>6}")
    for r in results["runs"]:
        lat = r["capture_to_sent_ms"]
        print(f"{str(r['jpeg_crops']):<6} {str(r['stalled_subscriber']):<8} {r['messages']:>6} "
              f"{r['offer_cpu_us_per_message']:>9.1f} {r['publisher_cpu_us_per_message']:>8.1f} "
              f"{lat['p50_ms']:>7.2f} {lat['p99_ms']:>7.2f} {lat['max_ms']:>7.2f} "
              f"{r['hwm_refusals']:>5} {r['queue_drops']:>6}")
    print("subscriber check per message (CPU µs):", {k: round(v, 1) for k, v in results["subscriber_check_us"].items()})
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=2)
    return 0


def _cpu_count() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
