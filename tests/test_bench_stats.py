"""edge-bench statistics: the same numbers as numpy, and warnings exactly when they apply."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.bench.stats import PERCENTILES, samples_needed, summarise


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.001, max_value=5000.0), min_size=1, max_size=900))
def test_summary_equals_numpy_on_injected_timings(values):
    s = summarise(values)
    array = np.asarray(values)
    assert s.count == array.size
    assert s.min_ms == array.min() and s.max_ms == array.max()
    for q in PERCENTILES:
        assert s.percentile_ms(q) == pytest.approx(np.percentile(array, q), rel=1e-12, abs=1e-12)
    assert s.mean_ms == pytest.approx(array.mean(), rel=1e-12)
    assert s.cov == pytest.approx(array.std() / array.mean(), rel=1e-9, abs=1e-12)


def test_mlperf_sample_counts():
    assert samples_needed(99) == 662
    assert samples_needed(90) == 67
    assert samples_needed(50) < samples_needed(95) < samples_needed(99)
    with pytest.raises(ValueError, match="percentile=100"):
        samples_needed(100)


def test_too_few_samples_for_p99_is_warned_and_enough_is_not():
    rng = np.random.default_rng(0)
    constantish = 10 + rng.normal(0, 0.01, 700)
    assert not summarise(constantish[:662]).warnings
    thin = summarise(constantish[:661], "inference").warnings
    assert len(thin) == 1 and "inference" in thin[0] and "p99" in thin[0] and "p95" not in thin[0]


def test_high_spread_is_warned():
    spread = np.r_[np.full(700, 10.0), np.full(70, 30.0)]
    assert any("high spread" in w for w in summarise(spread).warnings)
    assert not any("high spread" in w for w in summarise(spread, max_cov=1.0).warnings)


def test_empty_and_bad_series():
    assert summarise([]) is None
    with pytest.raises(ValueError, match="detection: timings must be finite"):
        summarise([1.0, float("nan")], "detection")
