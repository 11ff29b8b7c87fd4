"""Metrics against sklearn's roc_curve, with ties (many scores exactly 1.0) and empty classes."""

import math
import warnings

import numpy as np
import pytest
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import roc_curve as sklearn_roc_curve

from engines.metrics import (apcer_per_attack_type, error_rates, roc_curve, threshold_at_apcer, threshold_at_eer,
                             tpr_at_fpr)
from engines.threshold_policy import ThresholdPolicy, thresholds_per_camera


def _random_scores(rng, n):
    labels = rng.integers(0, 2, n)
    scores = np.round(rng.random(n), 2)  # rounding makes many ties
    scores[rng.random(n) < 0.3] = 1.0  # a saturated softmax: many scores exactly 1.0
    return labels, scores


@pytest.mark.parametrize("seed", range(20))
def test_roc_curve_equals_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    labels, scores = _random_scores(rng, int(rng.integers(2, 400)))
    if len(set(labels.tolist())) < 2:
        labels[0], labels[1] = 0, 1
    expected = sklearn_roc_curve(labels, scores, drop_intermediate=False)
    for ours, theirs in zip(roc_curve(labels, scores), expected):
        np.testing.assert_allclose(ours, theirs)


@pytest.mark.parametrize("only", [0, 1])
def test_roc_curve_with_an_empty_class_matches_sklearn_nan(only):
    labels, scores = np.full(6, only), np.array([0.1, 0.5, 0.5, 1.0, 1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        expected = sklearn_roc_curve(labels, scores, drop_intermediate=False)
    for ours, theirs in zip(roc_curve(labels, scores), expected):
        np.testing.assert_allclose(ours, theirs)  # NaN where sklearn has NaN


@pytest.mark.parametrize("seed", range(10))
def test_error_rates_agree_with_every_roc_point(seed):
    rng = np.random.default_rng(100 + seed)
    labels, scores = _random_scores(rng, 300)
    fpr, tpr, thresholds = sklearn_roc_curve(labels, scores, drop_intermediate=False)
    for f, t, threshold in zip(fpr[1:], tpr[1:], thresholds[1:]):
        rates = error_rates(labels, scores, threshold)
        assert rates.apcer == pytest.approx(f) and rates.npcer == pytest.approx(1 - t)


def test_tie_rule_live_iff_score_at_least_threshold():
    rates = error_rates([1, 0], [0.7, 0.7], 0.7)
    assert rates.apcer == 1.0 and rates.npcer == 0.0
    rates = error_rates([1, 0], [0.7, 0.7], np.nextafter(0.7, 1))
    assert rates.apcer == 0.0 and rates.npcer == 1.0


def test_rates_over_an_empty_class_are_nan_not_zero():
    rates = error_rates([1, 1, 1], [0.2, 0.9, 1.0], 0.5)
    assert math.isnan(rates.apcer) and rates.npcer == pytest.approx(1 / 3) and math.isnan(rates.acer)


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("target", [1e-2, 1e-1, 0.3])
def test_tpr_at_fpr_is_last_sklearn_tpr_with_fpr_at_most_target(seed, target):
    rng = np.random.default_rng(200 + seed)
    labels, scores = _random_scores(rng, 2000)
    fpr, tpr, _ = sklearn_roc_curve(labels, scores, drop_intermediate=False)
    assert tpr_at_fpr(labels, scores, target)["value"] == pytest.approx(tpr[fpr <= target][-1])


def test_tpr_at_fpr_is_na_with_a_bound_when_too_few_attacks():
    labels = np.r_[np.ones(50), np.zeros(99)].astype(int)
    scores = np.r_[np.linspace(0.5, 1, 50), np.linspace(0, 0.6, 99)]
    result = tpr_at_fpr(labels, scores, 1e-2)
    assert result["value"] is None and result["attacks_needed"] == 100
    assert result["lower_bound"] == pytest.approx(np.mean(scores[:50] > 0.6)) and "n/a" in result["note"]
    assert tpr_at_fpr(labels[:50], scores[:50], 1e-2)["value"] is None  # no attacks at all


def test_threshold_at_apcer_meets_the_target_and_accepts_the_most_live():
    rng = np.random.default_rng(7)
    labels, scores = _random_scores(rng, 1000)
    for target in (0.0, 0.01, 0.1, 0.5):
        t = threshold_at_apcer(labels, scores, target)
        assert error_rates(labels, scores, t).apcer <= target
        lower = scores[scores < t].max()
        assert error_rates(labels, scores, lower).apcer > target  # one step lower breaks the target


def test_thresholds_keep_a_margin_below_saturated_live_scores():
    labels, scores = [1, 1, 1, 0, 0], [1.0, 1.0, 1.0, 0.3, 0.2]
    assert threshold_at_eer(labels, scores) == pytest.approx(0.65)
    assert threshold_at_apcer(labels, scores, 0.0) == pytest.approx(0.65)


def test_threshold_policies_need_validation_data_and_parse_strictly():
    assert ThresholdPolicy.parse("fixed:0.4").choose() == 0.4
    assert str(ThresholdPolicy.parse("apcer:0.01")) == "apcer:0.01"
    for bad in ("apcer", "fixed:2", "eer:0.1", "median"):
        with pytest.raises(ValueError, match="threshold policy"):
            ThresholdPolicy.parse(bad)
    with pytest.raises(ValueError, match="validation"):
        ThresholdPolicy.parse("eer").choose([], [])
    with pytest.raises(ValueError, match="no attacks"):
        threshold_at_apcer([1, 1], [0.2, 0.3], 0.01)


def test_thresholds_per_camera_model_and_default():
    labels = np.array([1, 0, 1, 0, 1, 1])
    scores = np.array([0.9, 0.2, 0.6, 0.5, 0.8, 0.7])
    cameras = np.array(["sr300", "sr300", "dcam710", "dcam710", "tof_x", "tof_x"])
    result = thresholds_per_camera(ThresholdPolicy.parse("apcer:0.0"), labels, scores, cameras)
    assert result["sr300"] == pytest.approx((0.9 + 0.2) / 2)
    assert result["dcam710"] == pytest.approx((0.6 + 0.5) / 2)
    assert "tof_x" not in result  # only live faces: no threshold of its own, the default applies
    assert error_rates(labels, scores, result["default"]).apcer == 0.0


def test_apcer_per_attack_type():
    result = apcer_per_attack_type([0, 0, 0, 1], [0.9, 0.1, 0.8, 0.95], ["print", "print", "mask", "live"], 0.5)
    assert result == {"mask": {"n": 1, "accepted": 1, "apcer": 1.0}, "print": {"n": 2, "accepted": 1, "apcer": 0.5}}


def test_metrics_reject_bad_labels_and_nan_scores():
    with pytest.raises(ValueError, match="labels must be 1"):
        error_rates([2, 0], [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match="NaN"):
        roc_curve([1, 0], [np.nan, 0.2])
