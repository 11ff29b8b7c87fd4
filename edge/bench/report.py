"""The benchmark's outputs: one JSON document (schema ``edge/schema/bench.v1.schema.json``), a
table for people, and optionally one CSV row per frame."""

from __future__ import annotations

import csv
import datetime
import functools
import json
from importlib import resources
from pathlib import Path

import jsonschema

from edge.bench.analysis import camera_figures, stage_table
from edge.bench.harness import RunResult
from edge.bench.stats import DEFAULT_MAX_COV, samples_needed
from edge.timing import STAGES

SCHEMA_NAME = "edge-fas.bench"
SCHEMA_VERSION = 1
LATENCY_FROM = {
    "paced": "the frame's scheduled time on the camera's clock (coordinated omission corrected)",
    "closed": "the frame's release to the pipeline (closed loop: one frame in flight per camera)",
}


@functools.cache
def schema() -> dict:
    return json.loads(resources.files("edge.schema").joinpath("bench.v1.schema.json").read_text())


def validate(document: dict) -> None:
    """Raise ``jsonschema.ValidationError`` naming the field when the document breaks the schema."""
    jsonschema.validate(document, schema())


def pipeline_results(result: RunResult, source: str, faces: int) -> dict:
    """The ``method`` and ``results`` sections of a pipeline run."""
    s = result.scenario
    method = {
        "mode": s.mode, "fps": s.fps if s.mode == "paced" else None, "duration_s": s.duration_s,
        "warm_up_s": s.warm_up_s, "warm_up_excluded": True, "engine_warm_up_ms": round(result.warm_up_ms, 3),
        "latency_from": LATENCY_FROM[s.mode], "source": source, "cameras": len(result.cameras),
        "faces_per_frame": faces,
        "end_to_end": "scheduled frame time → decision sent on the ZeroMQ socket",
        "every_frame": "each scheduled frame → the first decision on it or a newer frame (drops included)",
        "camera_descriptions": result.extra.get("camera_descriptions", {}),
        "first_decision_ms": round(result.extra.get("first_decision_ms", 0.0), 1),
    }
    cameras = {cid: camera_figures(result, cid) for cid in result.cameras}
    duration_s = (result.window_end_ns - result.window_start_ns) / 1e9
    decisions = sum(c["decisions"] for c in cameras.values())
    cpu = dict(result.cpu)
    # CPU milliseconds per decision: the work itself, steadier than wall time on a loaded machine.
    cpu["per_decision_ms"] = {"total": round(1000 * cpu["total_s"] / decisions, 3) if decisions else None}
    for thread in cpu["threads"]:
        if thread["name"] in ("pipeline-worker", "publisher") or thread["name"].startswith(("capture-", "pipeline-front")):
            cpu["per_decision_ms"][thread["name"]] = round(1000 * thread["cpu_s"] / decisions, 3) if decisions else None
    results = {
        "window_s": round(duration_s, 3),
        "stages": stage_table(result),
        "cameras": cameras,
        "decisions_per_s": round(sum(c["decisions_per_s"] for c in cameras.values()), 2),
        "drops_total": sum(c["drops_total"] for c in cameras.values()),
        "cpu": cpu,
        "peak_memory_mb": result.peak_memory_mb,
    }
    return {"method": method, "results": results}


def document(environment: dict, engine: dict | None, command: list[str], pipeline: dict | None,
             comparisons: list[dict], budgets: list[dict], cpu_pass: dict | None = None) -> dict:
    warnings = []
    if engine and engine.get("fallback"):
        warnings.append(f"CPU FALLBACK: {engine['requested_backend']} could not start ({engine['fallback_reason']}); "
                        f"these figures are of {engine['backend']} on the CPU")
    if pipeline:
        warnings += _grouped_warnings(pipeline["results"]["stages"])
    for comparison in comparisons:
        warnings += _grouped_warnings({f"{comparison['name']}: {comparison[side]}": comparison[f"{side}_wall"]
                                       for side in ("a", "b")}, max_cov=0.10)
    return {
        "schema": SCHEMA_NAME, "schema_version": SCHEMA_VERSION,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": command, "environment": environment, "engine": engine,
        "method": pipeline["method"] if pipeline else None,
        "results": pipeline["results"] if pipeline else None,
        "cpu_pass": cpu_pass, "comparisons": comparisons, "budgets": budgets,
        "passed": all(b["passed"] for b in budgets), "warnings": warnings,
    }


def _grouped_warnings(summaries: dict[str, dict], max_cov: float = DEFAULT_MAX_COV) -> list[str]:
    """One line for every series with too few samples for its p99, one for every high spread
    (each summary also carries its own warnings in the JSON)."""
    thin = [f"{name} ({s['count']})" for name, s in summaries.items() if s["count"] < samples_needed(99)]
    spread = [f"{name} ({s['cov']:.0%})" for name, s in summaries.items() if s["cov"] > max_cov]
    lines = []
    if thin:
        lines.append(f"too few samples for a trustworthy p99 (MLPerf: {samples_needed(99)}); run longer: " + ", ".join(thin))
    if spread:
        lines.append(f"high spread (CoV > {max_cov:.1%}): " + ", ".join(spread))
    return lines


def write_csv(result: RunResult, path: str | Path) -> None:
    """One row per measured frame: camera, index, scheduled time, faces, every stage, end to end."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["camera_id", "frame_index", "scheduled_ns", "faces", *[f"{s}_ms" for s in STAGES],
                         "end_to_end_ms"])
        for r in result.records:
            writer.writerow([r.camera_id, r.frame_index, r.scheduled_ns, r.faces,
                             *[f"{r.stages_ms[s]:.3f}" if s in r.stages_ms else "" for s in STAGES],
                             f"{r.end_to_end_ms:.3f}"])


def _row(name: str, s: dict) -> str:
    return (f"{name:<24} {s['count']:>6} {s['min_ms']:>8.2f} {s['p50_ms']:>8.2f} {s['p90_ms']:>8.2f} "
            f"{s['p95_ms']:>8.2f} {s['p99_ms']:>8.2f} {s['max_ms']:>8.2f} {s['mean_ms']:>8.2f} {s['cov']:>6.1%}")


def table(doc: dict) -> str:
    """The document for people: environment, method, stage table, drops, CPU, comparisons, budgets."""
    env, engine, lines = doc["environment"], doc["engine"], []
    lines.append(f"edge-bench — {env['cpu_model']}, {env['usable_cores']} cores, load average "
                 f"{' '.join(str(x) for x in env['load_average'])}; " + ", ".join(
                     f"{k} {v}" for k, v in env["versions"].items() if k in ("python", "numpy", "opencv", "onnxruntime", "tensorrt", "cuda", "pyzmq", "pyrealsense2")))
    if env.get("fixed_work_jitter"):
        j = env["fixed_work_jitter"]
        lines.append(f"machine: identical {j['unit_p50_ms']:.1f}-ms units of single-thread work for {j['duration_s']:g} s "
                     f"before the run: p99 {j['unit_p99_ms']:.1f} ms, {j['p99_over_p50']:.1f}× the median; a "
                     "p99/p50 near this is the machine's tail, not the pipeline's")
    if env["gpu"]:
        lines.append("GPU: " + ", ".join(f"{k} {v}" for k, v in env["gpu"].items()))
    if engine:
        lines.append(f"engine: {engine['backend']} ({engine['device']}, {engine['precision']}, {engine['threads']} threads) "
                     f"model {Path(engine['model_path']).name} sha256 {engine['artefact_sha256'][:16]}…; detector {engine['detector']}")
        if engine["fallback"]:
            lines.append(f"!!! CPU FALLBACK: {engine['requested_backend']} did not start: {engine['fallback_reason']} !!!")
    if doc["method"]:
        m, r = doc["method"], doc["results"]
        pace = f"camera-paced at {m['fps']:g} fps" if m["mode"] == "paced" else "closed loop"
        lines.append(f"scenario: {pace}, {m['cameras']} camera(s), {m['faces_per_frame']} face(s) per frame; "
                     f"source {m['source']}")
        lines.append(f"method: first decision after {m['first_decision_ms']:.0f} ms, then {m['warm_up_s']:g} s warm-up "
                     f"excluded, {r['window_s']:.1f} s measured; latency from {m['latency_from']}")
        lines.append("")
        lines.append(f"{'stage (ms)':<24} {'count':>6} {'min':>8} {'p50':>8} {'p90':>8} {'p95':>8} {'p99':>8} "
                     f"{'max':>8} {'mean':>8} {'CoV':>6}")
        for name, summary in r["stages"].items():
            lines.append(_row(name, summary))
        lines.append("")
        for cid, c in r["cameras"].items():
            drops = ", ".join(f"{k} {v}" for k, v in c["drops"].items() if v) or "none"
            lines.append(f"camera {cid}: {c['decisions']} decisions of {c['frames_scheduled']} frames, "
                         f"{c['decisions_per_s']:.1f}/s, {c['faces_per_frame']:g} faces/frame; dropped: {drops}")
        cpu = r["cpu"]
        top = ", ".join(f"{t['name']} {t['percent']:.0f}%" for t in cpu["threads"][:6])
        lines.append(f"CPU: {cpu['total_percent']:.0f}% of one core in total ({top}); peak memory {r['peak_memory_mb']:.0f} MB")
        per = cpu["per_decision_ms"]
        if per.get("total") is not None:
            lines.append("CPU per decision: " + ", ".join(f"{k} {v:.2f} ms" for k, v in per.items() if v is not None)
                         + " (threads not named are ONNX Runtime's, OpenCV's and numba's pools)")
    if doc["cpu_pass"]:
        c = doc["cpu_pass"]
        lines.append("")
        lines.append(f"CPU pass: {c['frames']} frames one at a time ({c['warm_up_frames']} warm-up excluded), {c['clock']}")
        lines.append(f"{'stage (CPU ms)':<24} {'count':>6} {'min':>8} {'p50':>8} {'p90':>8} {'p95':>8} {'p99':>8} "
                     f"{'max':>8} {'mean':>8} {'CoV':>6}")
        for name, summary in c["stages"].items():
            lines.append(_row(name, summary))
    for c in doc["comparisons"]:
        lines.append("")
        lines.append(f"{c['name']}: {c['pairs']} interleaved pairs × {c['repeats_per_pair']} calls"
                     + (f" — {c['note']}" if c["note"] else ""))
        for side in ("a", "b"):
            w, u = c[f"{side}_wall"], c[f"{side}_cpu"]
            lines.append(f"  {c[side]:<52} p50 {w['p50_ms']:8.3f} ms wall, {u['p50_ms']:8.3f} ms CPU")
        rw, rc = c["ratio_wall"], c["ratio_cpu"]
        lines.append(f"  ratio A/B per pair: median {rw['median']:.3f} wall ({rw['min']:.3f}–{rw['max']:.3f}), "
                     f"{rc['median']:.3f} CPU ({rc['min']:.3f}–{rc['max']:.3f})")
    if doc["budgets"]:
        lines.append("")
        for b in doc["budgets"]:
            shown = "not measured" if b["measured"] is None else f"{b['measured']:.2f}"
            lines.append(f"budget {b['description']}: {shown} → {'pass' if b['passed'] else 'MISSED'}")
    if doc["warnings"]:
        lines.append("")
        lines += [f"warning: {w}" for w in doc["warnings"]]
    return "\n".join(lines)
