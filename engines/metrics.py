"""Presentation-attack detection metrics (paper Section V-A3; ISO/IEC 30107-3 as the challenges use it).

Conventions, stated once and used everywhere:
- score s = softmax probability of live; live is the positive class (label 1), attack label 0;
- tie rule: a sample is predicted live iff s ≥ t;
- APCER(t) = attacks predicted live / attacks = FP / (FP + TN);
- NPCER(t) (= BPCER) = live predicted attack / live = FN / (FN + TP);
- ACER(t) = (APCER + NPCER) / 2;
- a rate over an empty class is NaN (undefined), never 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LIVE, ATTACK = 1, 0


def _as_arrays(labels, scores) -> tuple[np.ndarray, np.ndarray]:
    labels, scores = np.asarray(labels), np.asarray(scores, dtype=np.float64)
    if labels.shape != scores.shape or labels.ndim != 1:
        raise ValueError(f"labels {labels.shape} and scores {scores.shape} must be 1-D and of equal length")
    if labels.size and not np.isin(labels, (LIVE, ATTACK)).all():
        raise ValueError(f"labels must be 1 (live) or 0 (attack); got values {sorted(set(labels.tolist()))}")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN: the model produced an invalid output")
    return labels.astype(np.int64), scores


def _rate(count: float, total: float) -> float:
    return count / total if total else math.nan


@dataclass(frozen=True)
class ErrorRates:
    threshold: float | None  # None when each sample had its own threshold (per camera model)
    apcer: float
    npcer: float
    n_live: int
    n_attack: int

    @property
    def acer(self) -> float:
        return (self.apcer + self.npcer) / 2

    def to_dict(self) -> dict:
        return {"threshold": self.threshold, "apcer": self.apcer, "npcer": self.npcer, "acer": self.acer,
                "n_live": self.n_live, "n_attack": self.n_attack}


def error_rates(labels, scores, threshold) -> ErrorRates:
    """Rates at one threshold, or at one threshold per sample (an array as long as ``scores``)."""
    labels, scores = _as_arrays(labels, scores)
    accepted = scores >= threshold
    live, attack = labels == LIVE, labels == ATTACK
    return ErrorRates(
        threshold=float(threshold) if np.ndim(threshold) == 0 else None,
        apcer=_rate(np.count_nonzero(accepted & attack), np.count_nonzero(attack)),
        npcer=_rate(np.count_nonzero(~accepted & live), np.count_nonzero(live)),
        n_live=int(np.count_nonzero(live)),
        n_attack=int(np.count_nonzero(attack)),
    )


def roc_curve(labels, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds), thresholds descending, one point per distinct score plus (0, 0) at +inf.

    fpr[i] = APCER(thresholds[i]) and tpr[i] = 1 − NPCER(thresholds[i]) under the tie rule s ≥ t;
    the same points as ``sklearn.metrics.roc_curve(..., drop_intermediate=False)``.
    """
    labels, scores = _as_arrays(labels, scores)
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_live = scores[order], labels[order] == LIVE
    # Last index of each run of equal scores: every sample at or above that score is accepted.
    run_ends = np.r_[np.flatnonzero(np.diff(sorted_scores)), sorted_scores.size - 1] if scores.size else np.array([], int)
    true_pos = np.cumsum(sorted_live)[run_ends]
    false_pos = (run_ends + 1) - true_pos
    n_live, n_attack = np.count_nonzero(labels == LIVE), np.count_nonzero(labels == ATTACK)
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = np.r_[0.0, true_pos] / n_live if n_live else np.full(run_ends.size + 1, np.nan)
        fpr = np.r_[0.0, false_pos] / n_attack if n_attack else np.full(run_ends.size + 1, np.nan)
    return fpr, tpr, np.r_[np.inf, sorted_scores[run_ends]]


def threshold_at_apcer(labels, scores, target_apcer: float) -> float:
    """A threshold accepting the most live faces with APCER ≤ target.

    The decisions are those of the smallest ROC threshold with APCER ≤ target; of the scores
    that give exactly these decisions the midpoint is returned (see ``_margin``).
    """
    if not 0 <= target_apcer <= 1:
        raise ValueError(f"target_apcer={target_apcer!r}: must be within [0, 1], e.g. 0.01")
    fpr, _, thresholds = roc_curve(labels, scores)
    if np.isnan(fpr).all():
        raise ValueError("cannot choose a threshold at a target APCER: the calibration set has no attacks")
    return _margin(thresholds[np.flatnonzero(fpr <= target_apcer)[-1]], scores)


def threshold_at_eer(labels, scores) -> float:
    """A threshold where APCER and NPCER are closest (equal error rate); ties go to the higher threshold."""
    fpr, tpr, thresholds = roc_curve(labels, scores)
    if np.isnan(fpr).all() or np.isnan(tpr).all():
        raise ValueError("cannot choose an EER threshold: the calibration set needs both live faces and attacks")
    gap = np.abs(fpr - (1 - tpr))
    return _margin(thresholds[int(np.argmin(gap))], scores)


def _margin(threshold: float, scores) -> float:
    """Midpoint between ``threshold`` (a score) and the next lower score: every threshold in
    between makes the same decisions on the calibration set, the midpoint keeps the widest margin
    on both sides (a threshold of exactly 1.0 would reject every live face scoring 0.9999).
    +inf (accept nobody) becomes the value just above the highest score."""
    scores = np.asarray(scores, dtype=np.float64)
    if np.isinf(threshold):
        return float(np.nextafter(np.max(scores), np.inf))
    below = scores[scores < threshold]
    return float((threshold + (below.max() if below.size else 0.0)) / 2)


def tpr_at_fpr(labels, scores, target_fpr: float) -> dict:
    """TPR at the smallest threshold whose APCER ≤ target_fpr ("last TPR with FPR ≤ f" on the ROC).

    Needs at least ⌈1/f⌉ attacks to mean anything; with fewer it reports ``value: None`` ("n/a")
    and, as a bound, the TPR at APCER = 0 (a lower bound on the true figure).
    """
    labels, scores = _as_arrays(labels, scores)
    n_attack, n_live = int(np.count_nonzero(labels == ATTACK)), int(np.count_nonzero(labels == LIVE))
    needed = math.ceil(1 / target_fpr - 1e-9)
    fpr, tpr, _ = roc_curve(labels, scores)
    result = {"fpr": target_fpr, "value": None, "n_attack": n_attack, "attacks_needed": needed}
    if n_live == 0 or n_attack == 0:
        result["note"] = f"n/a: {n_live} live and {n_attack} attack samples; both classes are needed"
        return result
    if n_attack < needed:
        result["lower_bound"] = float(tpr[np.flatnonzero(fpr <= 0)[-1]])
        result["note"] = f"n/a: {n_attack} attacks < {needed} needed; TPR at APCER=0 is {result['lower_bound']:.4f} (lower bound)"
        return result
    result["value"] = float(tpr[np.flatnonzero(fpr <= target_fpr)[-1]])
    return result


def apcer_per_attack_type(labels, scores, attack_types, threshold) -> dict[str, dict]:
    """APCER of each attack type (ISO/IEC 30107-3 reports it per PAI species); threshold as in error_rates."""
    labels, scores = _as_arrays(labels, scores)
    attack_types = np.asarray(attack_types)
    threshold = np.broadcast_to(np.asarray(threshold, dtype=np.float64), scores.shape)
    result = {}
    for kind in sorted(set(attack_types[labels == ATTACK].tolist())):
        chosen = (labels == ATTACK) & (attack_types == kind)
        accepted = int(np.count_nonzero(scores[chosen] >= threshold[chosen]))
        result[str(kind)] = {"n": int(chosen.sum()), "accepted": accepted, "apcer": _rate(accepted, int(chosen.sum()))}
    return result
