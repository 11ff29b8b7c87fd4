"""The report as Markdown (``--markdown FILE``), for the README's performance section: the
machine and its load, the method, the stage table, drops, CPU, comparisons and budgets, with
the command that produced them."""

from __future__ import annotations

from pathlib import Path

COLUMNS = ("count", "min_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms")


def _stage_rows(stages: dict[str, dict]) -> list[str]:
    rows = ["| series (ms) | count | min | p50 | p90 | p95 | p99 | max | mean | CoV |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in stages.items():
        cells = [str(s["count"])] + [f"{s[c]:.2f}" for c in COLUMNS[1:]] + [f"{s['cov']:.0%}"]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


def markdown(doc: dict) -> str:
    env, engine = doc["environment"], doc["engine"]
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    lines = [f"`{' '.join(doc['command'])}` — {doc['created_utc']}", "",
             f"Machine: {env['cpu_model']}, {env['usable_cores']} cores, load average "
             f"{' / '.join(str(x) for x in env['load_average'])} (1 / 5 / 15 min); {versions}."
             + (" GPU: " + ", ".join(f"{k} {v}" for k, v in env["gpu"].items()) + "." if env["gpu"] else "")]
    if env.get("fixed_work_jitter"):
        j = env["fixed_work_jitter"]
        lines.append(f"Machine steadiness: identical single-thread work units timed for {j['duration_s']:g} s before "
                     f"the run had p50 {j['unit_p50_ms']:.2f} ms and p99 {j['unit_p99_ms']:.2f} ms "
                     f"({j['p99_over_p50']:.1f}× the median).")
    if engine:
        lines.append(f"Engine: {engine['backend']} ({engine['device']}, {engine['precision']}, {engine['threads']} threads), "
                     f"model `{Path(engine['model_path']).name}` sha256 `{engine['artefact_sha256'][:16]}…`, "
                     f"detector {engine['detector']}."
                     + (f" **CPU FALLBACK: {engine['fallback_reason']}**" if engine["fallback"] else ""))
    if doc["method"]:
        m, r = doc["method"], doc["results"]
        pace = f"camera-paced at {m['fps']:g} fps" if m["mode"] == "paced" else "closed loop"
        lines += ["", f"Scenario: {pace}, {m['cameras']} camera(s), {m['faces_per_frame']} face(s) per frame, "
                      f"{m['source']}. {m['warm_up_s']:g} s warm-up excluded, {r['window_s']:.0f} s measured; "
                      f"latency from {m['latency_from']}.", ""]
        lines += _stage_rows(r["stages"])
        lines.append("")
        for cid, c in r["cameras"].items():
            drops = ", ".join(f"{k} {v}" for k, v in c["drops"].items() if v) or "none"
            lines.append(f"- camera {cid}: {c['decisions']} decisions of {c['frames_scheduled']} frames "
                         f"({c['decisions_per_s']:.1f}/s); dropped: {drops}")
        cpu = r["cpu"]
        lines.append(f"- CPU {cpu['total_percent']:.0f} % of one core; {cpu['per_decision_ms'].get('total') or 0:.1f} ms "
                     f"per decision; peak memory {r['peak_memory_mb']:.0f} MB")
    if doc["cpu_pass"]:
        lines += ["", f"CPU pass ({doc['cpu_pass']['frames']} frames, {doc['cpu_pass']['clock']}):", ""]
        lines += _stage_rows(doc["cpu_pass"]["stages"])
    if doc["comparisons"]:
        lines += ["", "| comparison | A | B | A p50 CPU / wall ms | B p50 CPU / wall ms | A/B per pair (CPU) |",
                  "|---|---|---|---|---|---|"]
        for c in doc["comparisons"]:
            rc = c["ratio_cpu"]
            lines.append(f"| {c['name']} | {c['a']} | {c['b']} | {c['a_cpu']['p50_ms']:.3f} / {c['a_wall']['p50_ms']:.3f} | "
                         f"{c['b_cpu']['p50_ms']:.3f} / {c['b_wall']['p50_ms']:.3f} | "
                         f"{rc['median']:.2f} ({rc['min']:.2f}–{rc['max']:.2f}) |")
    if doc["budgets"]:
        lines.append("")
        lines += [f"- budget {b['description']}: " + ("not measured" if b["measured"] is None else f"{b['measured']:.2f}")
                  + (" — met" if b["passed"] else " — **missed**") for b in doc["budgets"]]
    lines += ["", "Absolute times vary between runs and machines; compare figures from the same machine and load only."]
    return "\n".join(lines) + "\n"
