"""edge-daemon end to end on the sr300 plugin: a recording of the simulated SR300 with a face,
played through rs.pipeline (looping by the recovery ladder's reopen), yields published decisions
with the SR300's calibrated threshold."""

from __future__ import annotations

import pytest

from tests._camera_daemon import camera_section, run_daemon_until_faces
from tests._rs_recording import render_sim_frames, write_sr300_recording


@pytest.mark.parametrize("align", ["ours", pytest.param("rs_align", marks=pytest.mark.slow)])
def test_the_daemon_publishes_decisions_from_an_sr300_recording(tmp_path, align):
    recording = write_sr300_recording(tmp_path / "live.bag", render_sim_frames(8, first_index=300))
    cameras = camera_section("sr300cam", "sr300", playback_file=str(recording.path), align=align)
    decisions, code, stdout, stderr = run_daemon_until_faces(tmp_path, cameras)
    assert code == 0, stderr
    assert len(decisions) >= 5, stderr[-3000:]
    scored = [f for d in decisions for f in d.faces if f.live_score is not None]
    assert scored, "no face reached the engine: " + stderr[-3000:]
    assert "threshold of camera model 'sr300' = 0.450" in stderr
    for decision in decisions:
        assert decision.camera_id == "sr300cam" and decision.threshold == 0.45
        for face in decision.faces:
            assert 0 <= face.box.x_px < 640 and 0 <= face.box.y_px < 480
    assert "[sr300cam] frame" in stdout
