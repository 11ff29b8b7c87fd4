"""ROC curve as a PNG (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402

from engines.metrics import roc_curve  # noqa: E402


def plot_roc(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: str | Path, title: str) -> Path:
    """``curves`` maps a legend name to (labels, scores). FPR on a log axis: the 1e-2…1e-4 region matters."""
    figure, axis = plt.subplots(figsize=(6, 5), dpi=100)
    for name, (labels, scores) in curves.items():
        fpr, tpr, _ = roc_curve(labels, scores)
        if np.isnan(fpr).all() or np.isnan(tpr).all():
            continue
        floor = 1 / max(1, np.count_nonzero(np.asarray(labels) == 0))  # FPR = 0 drawn at the smallest measurable FPR
        axis.step(np.maximum(fpr, floor / 2), tpr, where="post", label=name)
    axis.set_xscale("log")
    axis.set_xlabel("FPR = APCER (attacks accepted as live)")
    axis.set_ylabel("TPR = 1 − NPCER (live accepted)")
    axis.set_title(title)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return Path(path)
