"""A subscriber that never reads does not slow the daemon (issue 6): the pipeline's processed fps
with such a subscriber connected stays within 10 % of a run without it, and the daemon's status
reports the messages it refused to that subscriber's full queue.

The daemon runs as its own process on the simulated camera (the demo), paced at 10 fps (a rate this
machine keeps up with, so both runs should process every frame), with JPEG crops on and a small
send high-water mark over ipc, so that the stalled subscriber's queue fills within seconds.
"""

from __future__ import annotations

import statistics
import time

import zmq

from edge.message_check import Accepted
from edge.messages import MessageKind
from edge.subscriber import Subscriber
from tests._daemon_fixtures import sim_camera, start_daemon, stop_daemon, tiny_model_with_sidecar, write_config

FPS = 10.0
MEASURED_STATUSES = 8  # status goes out once a second; each holds the fps over its window


def run_daemon(tmp_path, with_stalled_subscriber: bool) -> list:
    """The statuses of one run, after the warm-up, as the reading subscriber received them."""
    tmp_path.mkdir()
    model = tiny_model_with_sidecar(tmp_path)
    pub, snap = f"ipc://{tmp_path}/pub", f"ipc://{tmp_path}/snap"
    config = write_config(tmp_path / "edge.toml", model, pub, snap,  # extra opens inside [publish]
                          sim_camera(fps=FPS),
                          extra="send_hwm = 10\njpeg_crops = true\n[decision]\nexpiry_ms = 10000\n")
    context = zmq.Context()
    stalled = context.socket(zmq.SUB)
    stalled.setsockopt(zmq.RCVHWM, 1)
    stalled.setsockopt(zmq.LINGER, 0)
    stalled.subscribe(b"fas/")
    daemon = start_daemon(config, foreground=False)
    statuses = []
    try:
        with Subscriber([pub], receive_hwm=100_000, expiry_grace_ms=60_000) as reader:
            if with_stalled_subscriber:
                stalled.connect(pub)  # and never reads
            deadline = time.monotonic() + 90.0
            while len(statuses) < MEASURED_STATUSES + 3 and time.monotonic() < deadline:
                message = reader.receive(timeout_ms=500)
                if isinstance(message, Accepted) and message.kind is MessageKind.STATUS:
                    statuses.append(message.body)
    finally:
        code, _, stderr = stop_daemon(daemon, timeout_s=15)
        stalled.close()
        context.term()
    assert code == 0, stderr[-2000:]
    assert len(statuses) >= MEASURED_STATUSES + 3, stderr[-2000:]
    return statuses[3:]  # the first seconds include start-up


def test_a_subscriber_that_never_reads_does_not_slow_the_pipeline_and_is_counted(tmp_path):
    alone = run_daemon(tmp_path / "alone", with_stalled_subscriber=False)
    stalled = run_daemon(tmp_path / "stalled", with_stalled_subscriber=True)
    fps_alone = statistics.median(s.processed_fps for s in alone)
    fps_stalled = statistics.median(s.processed_fps for s in stalled)
    assert fps_alone > 0.8 * FPS, alone[-1]
    assert abs(fps_stalled - fps_alone) <= 0.10 * fps_alone, (fps_alone, fps_stalled)
    assert alone[-1].drops.publish_hwm == 0
    assert stalled[-1].drops.publish_hwm > 0, stalled[-1].drops
    assert stalled[-1].drops.publish_queue == 0  # the daemon's own hand-off never overflowed
