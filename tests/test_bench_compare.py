"""Interleaved A/B comparisons: pairs alternate, ratios are per pair, and the librealsense and
detector pairings run the real implementations on the same frame."""

from __future__ import annotations

import time

import numpy as np
import pytest

from edge.bench.compare import Pairing, detector_pairing, interleave, librealsense_pairings
from tests._bench_fixtures import one_face_bank  # noqa: F401  (fixture)


def test_pairs_alternate_and_ratios_are_per_pair():
    calls: list[str] = []
    small, large = np.random.default_rng(0).random(1_000), np.random.default_rng(0).random(200_000)
    pairing = Pairing("sort", "1k", "200k", lambda: (calls.append("a"), np.sort(small)),
                      lambda: (calls.append("b"), np.sort(large)))
    result = interleave(pairing, pairs=4, repeats=3)
    timed = calls[2:]  # after one warm-up call of each
    assert timed == ["a"] * 3 + ["b"] * 3 + ["b"] * 3 + ["a"] * 3 + ["a"] * 3 + ["b"] * 3 + ["b"] * 3 + ["a"] * 3
    assert len(result["ratio_cpu"]["per_pair"]) == 4 and result["a_wall"]["count"] == 12
    assert result["ratio_cpu"]["median"] < 0.5  # sorting 200× fewer numbers is far cheaper
    assert result["ratio_cpu"]["min"] <= result["ratio_cpu"]["median"] <= result["ratio_cpu"]["max"]


def test_sleep_is_wall_time_not_cpu_time():
    result = interleave(Pairing("sleep", "sleep 2 ms", "nothing", lambda: time.sleep(0.002), lambda: None),
                        pairs=2, repeats=2)
    assert result["a_wall"]["p50_ms"] >= 2.0 and result["a_cpu"]["p50_ms"] < 1.0


def test_librealsense_and_detector_pairings_run_on_the_same_frame(one_face_bank):
    frame = one_face_bank.frames[0]
    with librealsense_pairings(frame) as pairings:
        names = [p.name for p in pairings]
        results = [interleave(p, pairs=2, repeats=2) for p in pairings]
    assert names[0] == "registration (full frame)" and any(n.startswith("hole filling") for n in names)
    for r in results:
        assert r["a_cpu"]["p50_ms"] > 0 and r["b_cpu"]["p50_ms"] > 0
    detectors = interleave(detector_pairing(frame), pairs=2, repeats=1)
    assert (detectors["a"], detectors["b"]) == ("YuNet", "MTCNN")


def test_bad_pair_counts_are_refused():
    with pytest.raises(ValueError, match="pairs=0"):
        interleave(Pairing("x", "a", "b", lambda: None, lambda: None), pairs=0)
