"""The soak of issue 10 as a long test (``pytest -m slow tests/test_soak.py``): ten minutes of the
daemon fed 30 fps, after a two-minute warm-up; resident memory may not grow more than 5 %, and
threads and file descriptors not at all (edge.soak samples them)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests._daemon_fixtures import REPO, tiny_model_with_sidecar


@pytest.mark.slow
def test_ten_minutes_at_30_fps_hold_memory_threads_and_descriptors(tmp_path):
    model = tiny_model_with_sidecar(tmp_path)
    report = tmp_path / "soak.json"
    result = subprocess.run([sys.executable, "-m", "edge.soak", "--camera", "replay", "--duration-s", "720",
                             "--warm-up-s", "120", "--model", str(model), "--json", str(report)],
                            cwd=REPO, capture_output=True, text=True, timeout=1200)
    summary = json.loads(report.read_text())
    print(json.dumps({k: v for k, v in summary.items() if k != "samples"}, indent=2))
    assert result.returncode == 0, summary["problems"]
    assert summary["rss_growth_pct"] <= 5.0 and summary["decisions"] > 0
    assert summary["duration_s"] - summary["warm_up_s"] >= 600
