"""edge-record works with both real-camera plugins: the dcam710 on the fake vendor library and
the sr300 on a recording played through rs.pipeline; the replay plugin plays what was written
with the frames and calibration the camera gave."""

from __future__ import annotations

import numpy as np
import pytest

from camera_plugins.registry import create_camera
from edge.cli.record import main as edge_record
from tests._rs_recording import render_sim_frames, write_sr300_recording
from tests._vzense_fake import compile_fake, fake_camera, write_fake_frames


def _replayed(path):
    with create_camera("replay", "again", {"path": str(path), "pace": "fast", "loop": False}) as replay:
        description = replay.describe()
        return description, [replay.read(timeout_s=2.0) for _ in range(3)]


def test_edge_record_records_the_dcam710(tmp_path, capsys):
    frames = write_fake_frames(tmp_path / "frames", 3)
    library = fake_camera(tmp_path / "camera", compile_fake(tmp_path), frames)
    code = edge_record(["--camera", "dcam710", "--option", f"sdk_library={library}", "--frames", "3",
                        str(tmp_path / "rec")])
    assert code == 0, capsys.readouterr().err
    description, replayed = _replayed(tmp_path / "rec")
    assert description.model == "PICO/Vzense DCAM710" and description.serial == "PD71FAKE0001"
    for k, frame in enumerate(replayed):
        np.testing.assert_array_equal(frame.depth_raw, np.where(frames.depth_raw[k] == 0xFFFF, 0, frames.depth_raw[k]))
        assert frame.depth_intrinsics == frames.renderer.depth_intrinsics


def test_edge_record_records_the_sr300(tmp_path, capsys):
    recording = write_sr300_recording(tmp_path / "sr300.bag", render_sim_frames(4))
    code = edge_record(["--camera", "sr300", "--option", f"playback_file={recording.path}",
                        "--option", "playback_real_time=false", "--frames", "3", str(tmp_path / "rec")])
    assert code == 0, capsys.readouterr().err
    description, replayed = _replayed(tmp_path / "rec")
    assert description.model == "Intel RealSense SR300"
    for frame in replayed:
        sim = recording.frames[frame.frame_index]
        np.testing.assert_array_equal(frame.depth_raw, sim.depth_raw)
        assert frame.depth_scale_mm == pytest.approx(0.125)
