"""The CPU pass and the two-configuration comparison run the daemon's stage functions frame by frame."""

from __future__ import annotations

import json

from edge.bench.cli import EXIT_USAGE, main
from edge.bench.cpu_pass import StagePath, cpu_pass
from tests._bench_fixtures import bench_daemon_config, bench_model, one_face_bank  # noqa: F401  (fixtures)
from tests._engine_fixtures import export_tiny_pt2


def test_cpu_pass_reports_every_stage_per_frame(bench_model, one_face_bank):
    result = cpu_pass(bench_daemon_config(bench_model), one_face_bank.frames, count=4, warm_up=1)
    stages = result["stages"]
    assert {"registration", "detection", "preprocessing", "inference", "decision", "total",
            "preprocessing_per_face"} <= set(stages)
    assert all(stages[s]["count"] == 4 for s in ("detection", "total"))
    # The total is the sum of the stages, frame by frame, so its median cannot be below detection's.
    assert stages["total"]["p50_ms"] >= stages["detection"]["p50_ms"] > 0


def test_stage_path_finds_the_face_and_numbers_frames(bench_model, one_face_bank):
    path = StagePath(bench_daemon_config(bench_model), one_face_bank.frames)
    try:
        spent, faces = path()
        spent_again, _ = path()
    finally:
        path.close()
    assert faces == 1 and set(spent) == {"registration", "detection", "preprocessing", "inference", "decision"}
    assert path.frames_processed == 2 and spent_again["detection"] > 0


def test_two_configurations_compared_frame_by_frame(bench_model, tmp_path):
    other = tmp_path / "every3.toml"
    other.write_text(f'[[cameras]]\nid = "c"\nplugin = "sim"\n[engine]\nmodel = "{bench_model}"\nthreads = 1\n'
                     "[detection]\ndetect_every_k = 3\n")
    out = tmp_path / "cfg.json"
    assert main(["--model", str(bench_model), "--skip-pipeline", "--compare-config", str(other), "--pairs", "2",
                 "--repeats", "3", "--bank-frames", "1", "--json", str(out)]) == 0
    comparison = json.loads(out.read_text())["comparisons"][0]
    assert comparison["b"] == str(other) and len(comparison["ratio_cpu"]["per_pair"]) == 2
    # Detecting on one frame in three costs less on average than detecting on every frame.
    assert comparison["b_cpu"]["mean_ms"] < comparison["a_cpu"]["mean_ms"]


def test_two_engines_compared_on_the_same_batch(bench_model, tmp_path, capsys):
    wrong = main(["--model", str(bench_model), "--skip-pipeline", "--compare-engine", f"{bench_model}@torch"])
    assert wrong == EXIT_USAGE and "loads .pt2, .pt files" in capsys.readouterr().err
    torch_model = export_tiny_pt2(tmp_path)
    out = tmp_path / "engines.json"
    assert main(["--model", str(bench_model), "--skip-pipeline", "--compare-engine", f"{torch_model}@torch",
                 "--compare-batch", "4", "--pairs", "2", "--repeats", "3", "--json", str(out)]) == 0
    comparison = json.loads(out.read_text())["comparisons"][0]
    assert comparison["name"] == "engines (batch 4)"
    assert comparison["a"].startswith("onnxruntime tiny.onnx") and comparison["b"].startswith("torch tiny.pt2")
    assert comparison["a_wall"]["count"] == comparison["b_wall"]["count"] == 6
