"""Latest-frame slots: newest frame wins, replaced frames are counted, the worker wakes up."""

from __future__ import annotations

import threading
import time

import pytest

from edge.pipeline.slot import LatestFrameSlots


def test_a_newer_frame_replaces_an_untaken_one_and_counts_a_drop():
    slots = LatestFrameSlots(["cam1"])
    assert slots.put("cam1", 1) is True
    assert slots.put("cam1", 2) is False
    assert slots.put("cam1", 3) is False
    assert slots.take_all(0.1) == {"cam1": 3}
    c = slots.counters("cam1")
    assert (c.put, c.taken, c.dropped) == (3, 1, 2)
    assert slots.put("cam1", 4) is True  # slot empty again: no drop
    assert slots.counters("cam1").dropped == 2


def test_take_all_returns_every_waiting_camera_at_once():
    slots = LatestFrameSlots(["cam1", "cam2", "cam3"])
    slots.put("cam1", "a")
    slots.put("cam3", "c")
    assert slots.take_all(0.1) == {"cam1": "a", "cam3": "c"}
    assert slots.take_all(0.05) == {}


def test_take_all_times_out_without_busy_waiting():
    slots = LatestFrameSlots(["cam1"])
    cpu_start, wall_start = time.thread_time(), time.monotonic()
    assert slots.take_all(0.3) == {}
    assert time.monotonic() - wall_start >= 0.29
    assert time.thread_time() - cpu_start < 0.05  # it slept, it did not spin


def test_a_waiting_worker_wakes_when_a_frame_arrives_and_when_closed():
    slots = LatestFrameSlots(["cam1"])
    got = []
    worker = threading.Thread(target=lambda: got.append(slots.take_all(5.0)))
    worker.start()
    time.sleep(0.05)
    slots.put("cam1", 7)
    worker.join(1.0)
    assert got == [{"cam1": 7}]

    worker = threading.Thread(target=lambda: got.append(slots.take_all(5.0)))
    start = time.monotonic()
    worker.start()
    slots.close()
    worker.join(1.0)
    assert got[-1] == {} and time.monotonic() - start < 1.0
    slots.put("cam1", 8)
    assert slots.take_all(1.0) == {}  # closed: nothing more comes out


def test_fast_producer_slow_consumer_counts_every_frame_once():
    slots = LatestFrameSlots(["cam1"])
    taken = []

    def consume():
        while (batch := slots.take_all(0.5)):
            taken.append(batch["cam1"])
            time.sleep(0.002)

    consumer = threading.Thread(target=consume)
    consumer.start()
    for i in range(2000):
        slots.put("cam1", i)
    consumer.join(5.0)
    c = slots.counters("cam1")
    assert c.put == 2000
    assert c.taken == len(taken) and c.taken + c.dropped == 2000
    assert c.dropped > 0 and taken == sorted(taken) and taken[-1] == 1999


def test_duplicate_camera_ids_are_refused():
    with pytest.raises(ValueError, match="unique"):
        LatestFrameSlots(["cam1", "cam1"])
