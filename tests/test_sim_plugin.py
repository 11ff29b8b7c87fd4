"""SimCamera through the plugin contract: open/read/close/describe, pacing, timeouts, end of stream."""

import time

import pytest

from camera_plugins.base import CameraDisconnected, CameraTimeout
from camera_plugins.registry import create_camera, plugin_class
from camera_plugins.sim import SimCamera


def test_registered_under_sim():
    assert plugin_class("sim") is SimCamera


def test_open_read_describe_close():
    cam = create_camera("sim", "front", {"camera_model": "dcam710", "paced": False})
    with cam:
        fs = cam.read(timeout_s=5.0)
        fs.validate()
        assert fs.camera_id == "front" and fs.frame_index == 0
        assert cam.read(timeout_s=5.0).frame_index == 1
        d = cam.describe()
        assert d.plugin == "sim" and "DCAM710" in d.model and d.serial == "SIM-DCAM710-0"
        assert set(d.streams) == {"colour", "depth", "ir"} and "640x480" in d.streams["depth"]
    cam.close()  # twice is fine
    with pytest.raises(CameraDisconnected, match="not open"):
        cam.read(timeout_s=1.0)


def test_paced_reads_follow_the_camera_rate():
    cam = create_camera("sim", "c", {"fps": 10.0, "scenario": "demo"})
    with cam:
        start = time.monotonic()
        frames = [cam.read(timeout_s=2.0) for _ in range(6)]
        elapsed = time.monotonic() - start
    assert [f.frame_index for f in frames] == list(range(6))
    assert [f.timestamps.sensor_ms for f in frames] == [0.0, 100.0, 200.0, 300.0, 400.0, 500.0]
    assert frames[0].timestamps.sensor_domain == "simulated"
    assert frames[0].timestamps.host_monotonic_ns < frames[-1].timestamps.host_monotonic_ns
    assert 0.45 <= elapsed <= 1.5  # frames 0…5 are due at 0…0.5 s


def test_read_times_out_when_no_frame_is_due_within_the_timeout():
    cam = create_camera("sim", "c", {"fps": 1.0})
    with cam:
        assert cam.read(timeout_s=2.0).frame_index == 0
        start = time.monotonic()
        with pytest.raises(CameraTimeout, match="no frame within 0.2 s"):
            cam.read(timeout_s=0.2)
        assert 0.15 <= time.monotonic() - start <= 0.6
        assert cam.read(timeout_s=2.0).frame_index == 1  # the frame was not lost


def test_slow_reader_misses_frames_like_a_real_camera():
    cam = create_camera("sim", "c", {"fps": 20.0})
    with cam:
        cam.read(timeout_s=2.0)
        time.sleep(0.5)
        assert cam.read(timeout_s=2.0).frame_index >= 8


def test_unlooped_scenario_ends_with_disconnected():
    cam = create_camera("sim", "c", {"fps": 0.1, "paced": False, "loop": False})  # 6 frames in a minute
    with cam:
        assert [cam.read(timeout_s=1.0).frame_index for _ in range(6)] == list(range(6))
        with pytest.raises(CameraDisconnected, match="scenario ended"):
            cam.read(timeout_s=1.0)


def test_lighting_override_and_truth():
    cam = create_camera("sim", "c", {"lighting": "low", "paced": False, "scenario": "random", "seed": 3})
    with cam:
        fs = cam.read(timeout_s=5.0)
    assert fs.truth.lighting == "low" and len(fs.truth.faces) == 1
    assert fs.truth.depth_in_colour_mm.shape == fs.colour_bgr.shape[:2]
