"""edge-bench end to end on the simulator: a camera-paced and a closed-loop run through the
daemon's own pipeline report every stage, write JSON that validates and a CSV per frame, and
budgets decide the exit status."""

from __future__ import annotations

import copy
import csv
import json

import jsonschema
import pytest

from edge.bench import report
from edge.bench.cli import EXIT_BUDGET_MISSED, EXIT_USAGE, main
from tests._bench_fixtures import bench_model  # noqa: F401  (fixture)

#: Every stage the daemon times on a frame with a face (the sim SR300 needs registration).
TIMED_STAGES = ("capture_wait", "registration", "detection", "preprocessing", "inference", "decision",
                "serialisation", "publish", "end_to_end", "preprocessing_per_face")
SHORT = ["--duration-s", "2.5", "--warm-up-s", "1", "--bank-frames", "2", "--no-progress", "--jitter-probe-s", "0.5"]


def _run(tmp_path, bench_model, *args):
    out = tmp_path / "bench.json"
    code = main(["--model", str(bench_model), *SHORT, "--json", str(out), *args])
    return code, json.loads(out.read_text())


def test_camera_paced_run_reports_every_stage_and_passes_generous_budgets(tmp_path, bench_model, capsys):
    frames_csv, section = tmp_path / "frames.csv", tmp_path / "performance.md"
    code, doc = _run(tmp_path, bench_model, "--csv", str(frames_csv), "--markdown", str(section), "--assert-p99-ms", "60000",
                     "--assert-fps", "0.5", "--budget", "inference:p99:60000")
    assert code == 0 and doc["passed"]
    report.validate(doc)
    results = doc["results"]
    assert doc["method"]["mode"] == "paced" and doc["method"]["warm_up_excluded"]
    assert set(TIMED_STAGES) | {"every_frame"} <= set(results["stages"])
    camera = results["cameras"]["cam1"]
    assert 0 < camera["decisions"] <= camera["frames_scheduled"] == 75  # 2.5 s at 30 fps
    # Every scheduled frame either got a decision or is counted as dropped somewhere.
    assert camera["decisions"] + camera["drops_total"] >= camera["frames_scheduled"] - 3
    assert results["stages"]["every_frame"]["count"] >= camera["frames_scheduled"] - 3
    assert results["cpu"]["total_s"] > 0 and results["peak_memory_mb"] > 50
    assert any(t["name"] == "pipeline-worker" for t in results["cpu"]["threads"])
    assert doc["engine"]["backend"] == "onnxruntime" and doc["engine"]["fallback"] is False
    assert len(doc["engine"]["artefact_sha256"]) == 64
    assert doc["environment"]["versions"]["onnxruntime"]
    jitter = doc["environment"]["fixed_work_jitter"]
    assert jitter["units"] > 10 and 0 < jitter["unit_p50_ms"] <= jitter["unit_p99_ms"] and jitter["p99_over_p50"] >= 1
    rows = list(csv.DictReader(frames_csv.open()))
    assert len(rows) == camera["decisions"]
    assert all(float(r["end_to_end_ms"]) >= float(r["inference_ms"] or 0) for r in rows)
    markdown = section.read_text()
    assert "| end_to_end | " in markdown and "vary between runs and machines" in markdown and "— met" in markdown
    table = capsys.readouterr().out
    assert "end_to_end" in table and "camera-paced at 30 fps" in table and "→ pass" in table
    assert "units of single-thread work for 0.5 s before the run" in table


def test_closed_loop_two_cameras_two_faces_and_an_impossible_budget_fails(tmp_path, bench_model, capsys):
    code, doc = _run(tmp_path, bench_model, "--mode", "closed", "--cameras", "2", "--faces", "2",
                     "--assert-p99-ms", "0.001", "--assert-fps", "1000000")
    assert code == EXIT_BUDGET_MISSED and not doc["passed"]
    report.validate(doc)
    assert [b["passed"] for b in doc["budgets"]] == [False, False]
    results = doc["results"]
    assert set(TIMED_STAGES) <= set(results["stages"]) and "every_frame" not in results["stages"]
    for camera in results["cameras"].values():
        assert camera["decisions"] > 0 and camera["faces_per_frame"] == 2
        # One frame in flight per camera: nothing can be replaced in the latest-frame slot.
        assert camera["drops"]["latest_frame_slot"] == 0
    assert "MISSED" in capsys.readouterr().out


def test_schema_rejects_a_broken_report(tmp_path, bench_model):
    code, doc = _run(tmp_path, bench_model, "--duration-s", "1")
    broken = copy.deepcopy(doc)
    del broken["results"]["stages"]["end_to_end"]["p99_ms"]
    with pytest.raises(jsonschema.ValidationError, match="p99_ms"):
        report.validate(broken)
    wrong_version = {**doc, "schema_version": 2}
    with pytest.raises(jsonschema.ValidationError):
        report.validate(wrong_version)


def test_bad_arguments_are_usage_errors_naming_the_option(capsys):
    assert main(["--budget", "inference:p98:10", "--skip-pipeline"]) == EXIT_USAGE
    assert "statistic 'p98' unknown" in capsys.readouterr().err
    assert main(["--source", "replay", "--duration-s", "1"]) == EXIT_USAGE
    assert "--recording" in capsys.readouterr().err
    assert main(["--model", "/nonexistent/model.onnx", "--duration-s", "1", "--jitter-probe-s", "0"]) == EXIT_USAGE
    assert "engine.model" in capsys.readouterr().err


def test_a_budget_without_a_pipeline_run_fails_instead_of_passing_unmeasured(tmp_path, capsys):
    out = tmp_path / "none.json"
    assert main(["--skip-pipeline", "--assert-p99-ms", "1000", "--json", str(out)]) == EXIT_BUDGET_MISSED
    doc = json.loads(out.read_text())
    report.validate(doc)
    assert doc["budgets"][0]["measured"] is None and doc["results"] is None
    assert main(["--skip-pipeline", "--threads", "0"]) == EXIT_USAGE
    assert "engine.threads" in capsys.readouterr().err
