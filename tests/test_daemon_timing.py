"""Stage timings, latency percentiles and rates."""

from __future__ import annotations

import time

import numpy as np
import pytest

from edge.timing import STAGES, LatencyWindow, RateMeter, StageTimings


def test_stage_timings_measure_and_keep_pipeline_order():
    t = StageTimings()
    with t.stage("inference"):
        time.sleep(0.02)
    t.add("capture_wait", 1.5)
    t.add("capture_wait", 0.5)
    d = t.to_dict()
    assert list(d) == ["capture_wait", "inference"]
    assert d["capture_wait"] == 2.0
    assert 19.0 <= d["inference"] < 200.0
    with pytest.raises(ValueError, match="unknown stage 'detect'"):
        t.add("detect", 1.0)
    assert STAGES[0] == "capture_wait" and STAGES[-1] == "publish"


def test_latency_window_percentiles_match_numpy_over_the_last_values():
    w = LatencyWindow(capacity=100)
    values = np.random.default_rng(0).exponential(10.0, 250)
    for v in values:
        w.add("end_to_end", float(v))
    p = w.percentiles("end_to_end")
    recent = values[-100:]
    assert p["count"] == 100
    assert p["p50"] == pytest.approx(np.percentile(recent, 50))
    assert p["p99"] == pytest.approx(np.percentile(recent, 99))
    assert p["max"] == pytest.approx(recent.max())
    assert w.percentiles("nothing") is None
    assert set(w.summary()) == {"end_to_end"}
    assert w.take_summary()["end_to_end"]["count"] == 100
    assert w.summary() == {}  # a new window starts after each take


def test_rate_meter_counts_events_per_second_in_its_window():
    meter = RateMeter(window_s=1.0)
    base = 1_000_000_000
    for i in range(31):
        meter.tick(base + i * 33_333_333)
    assert meter.rate_per_s(base + 30 * 33_333_333) == pytest.approx(30.0, rel=1e-3)
    assert meter.total == 31
    assert meter.rate_per_s(base + 10 * 1_000_000_000) == 0.0  # all events aged out
