"""Summary statistics of a series of latencies, with the warnings a careful reader needs.

Percentiles are numpy's (linear interpolation). A percentile is only shown as trustworthy when
enough samples lie beyond it: MLPerf asks for 662 samples for a p99, i.e. about 6.6 samples in
the tail; the same tail count is asked of every percentile (p95 → 133, p90 → 67). The spread
is the coefficient of variation (standard deviation / mean); trtexec warns above 2.5 %.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

#: The percentiles every summary carries.
PERCENTILES = (50, 90, 95, 99)
#: MLPerf's minimum sample count for a p99 (the tail count it implies is asked of every percentile).
SAMPLES_FOR_P99 = 662
#: trtexec's threshold for "the spread is high".
DEFAULT_MAX_COV = 0.025


def samples_needed(percentile: float) -> int:
    """Samples needed before ``percentile`` is trustworthy: as many in its tail as MLPerf's p99."""
    if not 0 < percentile < 100:
        raise ValueError(f"percentile={percentile!r}: must lie strictly between 0 and 100")
    tail_samples = SAMPLES_FOR_P99 * (1 - 0.99)
    return math.ceil(round(tail_samples / (1 - percentile / 100), 6))


@dataclass(frozen=True)
class Summary:
    """count, min, p50, p90, p95, p99, max, mean and CoV of one series (milliseconds)."""

    count: int
    min_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    #: Coefficient of variation: standard deviation / mean (0 for a constant series).
    cov: float
    warnings: list[str] = field(default_factory=list)

    def percentile_ms(self, percentile: int) -> float:
        return getattr(self, f"p{percentile}_ms")

    def to_dict(self) -> dict:
        return asdict(self)


def summarise(values_ms, name: str = "series", max_cov: float = DEFAULT_MAX_COV) -> Summary | None:
    """The summary of ``values_ms`` (None when empty), warning about thin tails and high spread."""
    values = np.asarray(values_ms, dtype=np.float64)
    if values.size == 0:
        return None
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name}: timings must be finite, got {values[~np.isfinite(values)][:3].tolist()}")
    p = np.percentile(values, PERCENTILES)
    mean = float(values.mean())
    cov = float(values.std() / mean) if mean > 0 else 0.0
    warnings = []
    thin = [f"p{q}" for q in PERCENTILES if values.size < samples_needed(q)]
    if thin:
        worst = max(PERCENTILES[-len(thin):])
        warnings.append(f"{name}: {values.size} samples are too few for {', '.join(thin)} "
                        f"(p{worst} needs {samples_needed(worst)}); run longer")
    if cov > max_cov:
        warnings.append(f"{name}: high spread, CoV {cov:.1%} > {max_cov:.1%}")
    return Summary(count=int(values.size), min_ms=float(values.min()), p50_ms=float(p[0]),
                   p90_ms=float(p[1]), p95_ms=float(p[2]), p99_ms=float(p[3]),
                   max_ms=float(values.max()), mean_ms=mean, cov=cov, warnings=warnings)
