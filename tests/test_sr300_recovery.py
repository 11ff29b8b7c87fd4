"""The capture thread's recovery ladder on the sr300 plugin: the end of a recording played through
rs.pipeline is a disconnect, the thread reopens the camera and frames flow again; a recording
has no hardware to reset."""

from __future__ import annotations


import pytest

from camera_plugins.registry import create_camera
from edge.pipeline.capture import CaptureThread
from edge.pipeline.slot import LatestFrameSlots
from tests._rs_recording import render_sim_frames, write_sr300_recording
from tests._waiting import wait_for


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    return write_sr300_recording(tmp_path_factory.mktemp("sr300") / "short.bag", render_sim_frames(3))


def test_the_end_of_a_recording_is_a_disconnect_and_the_thread_reopens(recording):
    # Not real time: a real-time playback drops the frames a busy reader was late for (as a
    # live camera does), and this test counts that every pass delivers all of its frames.
    camera = create_camera("sr300", "cam1", {"playback_file": str(recording.path), "playback_real_time": False})
    slots = LatestFrameSlots(["cam1"])
    thread = CaptureThread("cam1", camera, slots, read_timeout_s=0.5, backoff_initial_s=0.05, backoff_max_s=0.1)
    thread.start()
    try:
        assert wait_for(lambda: thread.reconnects >= 2, timeout_s=10.0)
        assert thread.frames >= 3 * 2  # every pass delivered its frames again
        assert thread.error is None and thread.is_alive()
        assert slots.take_all(2.0)["cam1"].frameset.camera_id == "cam1"
    finally:
        thread.stop()
        thread.join(3.0)
    assert not thread.is_alive()


def test_a_recording_has_no_hardware_to_reset(recording):
    camera = create_camera("sr300", "cam1", {"playback_file": str(recording.path)})
    assert camera.hardware_reset() is False
