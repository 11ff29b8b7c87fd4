"""edge-daemon end to end on the dcam710 plugin: the fake vendor library (C, built here) serves
simulated DCAM710 frames with a face at 30 fps, and the daemon publishes decisions with the
DCAM710's calibrated threshold."""

from __future__ import annotations

import pytest

from tests._camera_daemon import camera_section, run_daemon_until_faces
from tests._vzense_fake import compile_fake, fake_camera, write_fake_frames


@pytest.mark.parametrize("options", [
    pytest.param({}, id="our_registration"),
    pytest.param({"mapped_depth": True, "data_mode": "DepthAndIR_15_RGB_30"}, id="sdk_mapped_depth_and_ir",
                 marks=pytest.mark.slow),
])
def test_the_daemon_publishes_decisions_from_the_fake_dcam710(tmp_path, options):
    frames = write_fake_frames(tmp_path / "frames", 4, first_index=300)
    library = fake_camera(tmp_path / "camera", compile_fake(tmp_path), frames)
    cameras = camera_section("tof1", "dcam710", sdk_library=str(library), **options)
    decisions, code, stdout, stderr = run_daemon_until_faces(tmp_path, cameras, env={"FAKE_VZENSE_FPS": "30"})
    assert code == 0, stderr
    assert len(decisions) >= 5, stderr[-3000:]
    scored = [f for d in decisions for f in d.faces if f.live_score is not None]
    assert scored, "no face reached the engine: " + stderr[-3000:]
    assert "threshold of camera model 'dcam710' = 0.550" in stderr
    for decision in decisions:
        assert decision.camera_id == "tof1" and decision.threshold == 0.55
    assert "[tof1] frame" in stdout
