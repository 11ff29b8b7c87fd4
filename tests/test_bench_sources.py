"""edge-bench sources besides the simulator bank: a recording (``--source replay``) and the
cameras of a daemon configuration, opened as the daemon opens them (``--source config``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from camera_plugins.base import CameraDescription
from edge.bench.cli import main
from edge.bench.sources import ScheduledCamera, face_row, recording_bank
from edge.recording.writer import RecordingWriter
from tests._bench_fixtures import bench_model, one_face_bank  # noqa: F401  (fixtures)

SHORT = ["--duration-s", "1.5", "--warm-up-s", "0.5", "--no-progress", "--jitter-probe-s", "0"]


@pytest.fixture(scope="module")
def recording(tmp_path_factory, one_face_bank) -> Path:
    path = tmp_path_factory.mktemp("bench_rec") / "rec"
    description = CameraDescription(plugin="sim", model="Intel RealSense SR300 (simulated)", serial="x",
                                    firmware="-", sdk_version="-", streams={})
    with RecordingWriter(path, "cam1", description) as writer:
        for i in range(4):
            writer.append(ScheduledCamera("cam1", one_face_bank).frame_at(i, 1_000_000 + i * 33_333_333))
    return path


def test_recording_bank_and_replay_run(recording, bench_model, tmp_path):
    bank = recording_bank(recording, max_frames=3)
    assert len(bank.frames) == 3 and "3 of 4 frames" in bank.description
    out = tmp_path / "replay.json"
    assert main(["--model", str(bench_model), "--source", "replay", "--recording", str(recording),
                 "--json", str(out), *SHORT]) == 0
    doc = json.loads(out.read_text())
    assert doc["method"]["source"].startswith("recording")
    assert doc["results"]["cameras"]["cam1"]["decisions"] > 0


def test_config_cameras_run_as_the_daemon_opens_them(recording, bench_model, tmp_path):
    config = tmp_path / "edge.toml"
    config.write_text(f'[[cameras]]\nid = "door"\nplugin = "replay"\n'
                      f'options = {{ path = "{recording}", loop = true, host_timestamps = "now" }}\n')
    out = tmp_path / "config.json"
    assert main(["--config", str(config), "--model", str(bench_model), "--source", "config",
                 "--json", str(out), *SHORT]) == 0
    doc = json.loads(out.read_text())
    camera = doc["results"]["cameras"]["door"]
    assert doc["method"]["source"].endswith("door=replay") and camera["decisions"] > 0
    assert "end_to_end" in camera["stages"]


def test_face_row_places_distinct_faces_across_the_image():
    scene = face_row(3)
    assert [f.identity for f in scene.faces] == [0, 1, 2]
    assert [f.position[0] for f in scene.faces] == pytest.approx([1 / 6, 0.5, 5 / 6])
    with pytest.raises(ValueError, match="faces=-1"):
        face_row(-1)
