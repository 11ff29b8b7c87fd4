"""How a decision threshold is chosen — always explicit, always recorded with the result.

- ``fixed:T``     use T as it is;
- ``apcer:A``     on the validation set, the smallest threshold whose APCER ≤ A;
- ``eer``         on the validation set, the equal-error-rate threshold.

A threshold chosen on validation is then applied unchanged to test. Tie rule: live iff s ≥ t.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engines.metrics import threshold_at_apcer, threshold_at_eer


@dataclass(frozen=True)
class ThresholdPolicy:
    kind: str  # "fixed" | "apcer" | "eer"
    value: float | None = None

    @classmethod
    def parse(cls, text: str) -> "ThresholdPolicy":
        kind, _, value = text.partition(":")
        try:
            if kind == "eer" and not value:
                return cls("eer")
            if kind in ("fixed", "apcer") and value:
                number = float(value)
                if not 0 <= number <= 1:
                    raise ValueError
                return cls(kind, number)
        except ValueError:
            pass
        raise ValueError(f"threshold policy {text!r} is not valid: use fixed:T, apcer:A (A, T within [0, 1]) or eer")

    @property
    def needs_validation(self) -> bool:
        return self.kind != "fixed"

    def choose(self, labels=None, scores=None) -> float:
        if self.kind == "fixed":
            return float(self.value)
        if labels is None or len(labels) == 0:
            raise ValueError(f"policy {self} chooses its threshold on a validation set: give one (--val)")
        if self.kind == "apcer":
            return threshold_at_apcer(labels, scores, self.value)
        return threshold_at_eer(labels, scores)

    def __str__(self) -> str:
        return self.kind if self.value is None else f"{self.kind}:{self.value:g}"


def thresholds_per_camera(policy: ThresholdPolicy, labels, scores, camera_models, min_per_class: int = 1) -> dict[str, float]:
    """One threshold per camera model found in the validation set, plus "default" over all of it.

    A camera model whose validation data lacks live faces or attacks gets no entry of its own
    (the default applies to it) — a threshold from one class only would mean nothing.
    """
    labels, scores, camera_models = np.asarray(labels), np.asarray(scores), np.asarray(camera_models)
    result = {"default": policy.choose(labels, scores) if policy.needs_validation else policy.choose()}
    for camera in sorted(set(camera_models.tolist())):
        mine = camera_models == camera
        if policy.needs_validation and min(np.sum(labels[mine] == 1), np.sum(labels[mine] == 0)) < min_per_class:
            continue
        result[camera] = policy.choose(labels[mine], scores[mine]) if policy.needs_validation else policy.choose()
    return result
