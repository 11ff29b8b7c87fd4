"""End to end on the real simulator: its frames survive a recording byte for byte (truth
included) for both camera models, and ``edge-sim`` prints the truth of each frame."""

import re

import pytest

from _recording_fixtures import assert_framesets_identical
from camera_plugins.registry import create_camera
from edge.cli.sim import frame_line, main as sim_main
from edge.cli.record import main as record_main
from edge.recording import Recording, RecordingWriter


@pytest.mark.parametrize("camera_model", ["sr300", "dcam710"])
def test_simulator_frames_replay_byte_identical(camera_model, tmp_path):
    source = create_camera("sim", "door", {"camera_model": camera_model, "scenario": "random", "paced": False})
    with source:
        description = source.describe()
        frames = [source.read(timeout_s=10.0) for _ in range(2)]
    assert all(f.truth is not None and f.truth.faces for f in frames), "the random scene should hold a face"
    with RecordingWriter(tmp_path / "rec", "door", description) as writer:
        for frame in frames:
            writer.append(frame)
    with create_camera("replay", "door", {"path": str(tmp_path / "rec"), "pace": "fast"}) as replay:
        assert replay.describe().extra["recorded_plugin"] == "sim"
        for frame in frames:
            assert_framesets_identical(frame, replay.read(timeout_s=5.0))


def test_edge_record_records_the_simulator(tmp_path, capsys):
    out = tmp_path / "dcam710"
    argv = ["--camera", "sim", "-o", "camera_model=dcam710", "-o", "paced=false", "--frames", "2", str(out)]
    assert record_main(argv) == 0
    assert re.search(r"wrote 2 frames .* kB per frame", capsys.readouterr().out)
    recording = Recording(out)
    assert recording.complete and recording.description.plugin == "sim"
    assert recording.frame(1).depth_scale_mm == 1.0


def test_frame_line_shows_each_face_and_the_lighting():
    with create_camera("sim", "s", {"scenario": "random", "paced": False, "lighting": "low"}) as camera:
        frame = camera.read(timeout_s=10.0)
    face = frame.truth.faces[0]
    line = frame_line(frame, 1.5, 29.94)
    assert line.startswith(f"frame {frame.frame_index:5d}")
    assert "low" in line and f"{face.presentation} (subject {face.subject_id})" in line
    assert f"at {face.distance_mm / 1000:.2f} m" in line and line.endswith("29.9 fps")


def test_edge_sim_prints_a_line_per_frame(capsys):
    assert sim_main(["--camera-model", "dcam710", "--seconds", "1.5", "--seed", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "DCAM710" in lines[0] and "seed 3" in lines[0]
    frame_lines = [line for line in lines[1:] if line.startswith("frame")]
    assert frame_lines and all(line.endswith("fps") for line in frame_lines)
    indices = [int(line.split()[1]) for line in frame_lines]
    assert indices == sorted(set(indices))
