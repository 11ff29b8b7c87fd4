"""``edge-bench``: latency of the daemon's own pipeline, measured so that engineers can trust it.

Sources (``sources``), the run itself (``harness``), statistics (``stats``), the machine it ran
on (``environment``), interleaved A/B comparisons (``compare``), budgets (``budgets``) and the
report as a table, JSON (``edge/schema/bench.v1.schema.json``) and CSV (``report``).
"""
