"""How steadily this machine runs fixed work: the floor under any latency percentile taken here.

On a shared VM the host slows the whole guest (every vCPU at once) for tens of milliseconds at
a time. On the development VM fixed 2 ms single-thread computations had a p99 about 3× their median
with nothing else running, and idle wake-ups showed no pause, so the slowdowns fall on work, not
on sleep. A pipeline whose end-to-end p99/p50 is near this ratio has the machine's tail, not its
own; a dedicated edge box should show a ratio near 1.
"""

from __future__ import annotations

import time

import numpy as np

#: One unit of work: sorting this many float32 values this many times (~1.6 ms on the development VM).
_VALUES, _SORTS = 40_000, 14


def fixed_work_jitter(duration_s: float) -> dict | None:
    """Times identical units of single-thread work for ``duration_s``; None when it is 0 or less."""
    if duration_s <= 0:
        return None
    values = np.random.default_rng(0).random(_VALUES).astype(np.float32)
    times_ms: list[float] = []
    end = time.perf_counter() + duration_s
    while time.perf_counter() < end:
        start = time.perf_counter()
        for _ in range(_SORTS):
            np.sort(values)
        times_ms.append((time.perf_counter() - start) * 1e3)
    p50, p99 = (float(v) for v in np.percentile(times_ms, [50, 99]))
    return {"duration_s": duration_s, "units": len(times_ms), "unit_p50_ms": round(p50, 3),
            "unit_p99_ms": round(p99, 3), "p99_over_p50": round(p99 / p50, 2)}
