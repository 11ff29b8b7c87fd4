"""Budgets a run must meet: ``--assert-p99-ms``, ``--assert-fps``, ``--assert-drops`` and per-stage
``--budget STAGE:PERCENTILE:MS``. Any missed budget makes ``edge-bench`` exit non-zero."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from edge.bench.stats import PERCENTILES


@dataclass(frozen=True)
class Budget:
    #: A series of the report ("end_to_end", "inference", …), or "fps" / "drops".
    series: str
    #: "p50" … "p99", "max", "mean" for a latency; "min" for fps; "total" for drops.
    statistic: str
    limit: float

    def describe(self) -> str:
        if self.series == "fps":
            return f"every camera ≥ {self.limit:g} decisions/s"
        if self.series == "drops":
            return f"frames dropped ≤ {self.limit:g}"
        return f"{self.series} {self.statistic} ≤ {self.limit:g} ms"


def parse_stage_budget(text: str) -> Budget:
    """"inference:p99:10" → Budget("inference", "p99", 10.0); a clear error otherwise."""
    parts = text.split(":")
    allowed = [f"p{q}" for q in PERCENTILES] + ["max", "mean"]
    if len(parts) != 3:
        raise ValueError(f"--budget {text!r}: write STAGE:STATISTIC:MS, e.g. inference:p99:10")
    series, statistic, limit = parts
    if statistic not in allowed:
        raise ValueError(f"--budget {text!r}: statistic {statistic!r} unknown; use one of {', '.join(allowed)}")
    try:
        value = float(limit)
    except ValueError:
        raise ValueError(f"--budget {text!r}: {limit!r} is not a number of milliseconds") from None
    return Budget(series, statistic, value)


def check(budgets: list[Budget], results: dict | None) -> list[dict]:
    """Each budget with the measured value and whether it passed; a series never measured (or
    no pipeline run at all, ``results`` None) fails, so a budget cannot pass by accident."""
    checked = []
    for budget in budgets:
        measured = None if results is None else _measured(budget, results)
        if measured is None:
            passed = False
        elif budget.series == "fps":
            passed = measured >= budget.limit
        else:
            passed = measured <= budget.limit
        checked.append({**asdict(budget), "description": budget.describe(), "measured": measured, "passed": passed})
    return checked


def _measured(budget: Budget, results: dict) -> float | None:
    if budget.series == "fps":
        rates = [c["decisions_per_s"] for c in results["cameras"].values()]
        return min(rates) if rates else None
    if budget.series == "drops":
        return float(sum(c["drops_total"] for c in results["cameras"].values()))
    summary = results["stages"].get(budget.series)
    key = f"{budget.statistic}_ms"
    return None if summary is None else float(summary[key])
