"""The worker→publisher hand-off: bounded, never blocking, drop-oldest with a count per camera."""

from __future__ import annotations

import select
import threading

import numpy as np
import pytest

from tests._zmq_fixtures import sample_decision, sample_status
from edge.publishing.handoff import PublishQueue


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def test_full_queue_drops_the_oldest_and_counts_it_per_camera():
    queue = PublishQueue(capacity=3)
    results = [queue.offer(sample_decision("cam1", frame_index=i)) for i in range(5)]
    assert results == [True, True, True, False, False]
    assert queue.offer(sample_status("cam2")) is False  # displaces cam1's frame 2
    assert queue.dropped("cam1") == 3 and queue.dropped("cam2") == 0 and queue.dropped_total() == 3
    drained = queue.drain()
    assert [getattr(item.body, "frame_index", None) for item in drained] == [3, 4, None]
    assert queue.drain() == []
    queue.close()


def test_wake_descriptor_is_readable_exactly_while_messages_wait():
    queue = PublishQueue(capacity=4)
    assert not _readable(queue.wake_fd)
    queue.offer(sample_status())
    assert _readable(queue.wake_fd)
    assert len(queue.drain()) == 1
    assert not _readable(queue.wake_fd)
    queue.close()


def test_concurrent_producers_lose_nothing_unaccounted():
    queue = PublishQueue(capacity=50)
    received = []
    stop = threading.Event()

    def consume():
        while not stop.is_set() or _readable(queue.wake_fd):
            if select.select([queue.wake_fd], [], [], 0.01)[0]:
                received.extend(queue.drain())

    consumer = threading.Thread(target=consume)
    consumer.start()
    producers = [
        threading.Thread(target=lambda c=c: [queue.offer(sample_status(c)) for _ in range(2000)])
        for c in ("cam1", "cam2", "cam3")
    ]
    for t in producers:
        t.start()
    for t in producers:
        t.join()
    stop.set()
    consumer.join()
    received.extend(queue.drain())
    assert len(received) + queue.dropped_total() == 6000
    queue.close()


def test_crops_must_match_the_faces_and_offers_after_close_are_counted():
    queue = PublishQueue(capacity=2)
    crop = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match="one crop .* per face; the message has 2 faces, got 1"):
        queue.offer(sample_decision(faces=2), crops=(crop,))
    with pytest.raises(TypeError, match="Decision or a Status"):
        queue.offer({"camera_id": "cam1"})
    queue.close()
    assert queue.offer(sample_status("cam1")) is False and queue.dropped("cam1") == 1
