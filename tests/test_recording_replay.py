"""The replay plugin: frames exactly as recorded, recorded or fast pace, end as a disconnect,
looping with increasing indices and clocks, and typed errors for missing or broken recordings."""

import json
import time

import pytest

from _recording_fixtures import DESCRIPTION, assert_framesets_identical, synthetic_frame
from camera_plugins.base import (
    CameraDisconnected,
    CameraError,
    CameraNotFound,
    CameraTimeout,
    CameraUnsupported,
)
from camera_plugins.registry import create_camera
from edge.recording import RecordingWriter

PERIOD_NS = 200_000_000  # 5 fps, so pacing is measurable over decode time


def _record(path, count, period_ns=PERIOD_NS, with_truth=False):
    frames = [synthetic_frame(i, with_truth=with_truth, period_ns=period_ns) for i in range(count)]
    with RecordingWriter(path, "cam0", DESCRIPTION) as writer:
        for frame in frames:
            writer.append(frame)
    return frames


def test_replay_gives_back_the_recorded_frames_then_disconnects(tmp_path):
    frames = _record(tmp_path / "rec", 3, with_truth=True)
    camera = create_camera("replay", "replayed", {"path": str(tmp_path / "rec"), "pace": "fast"})
    with camera:
        for frame in frames:
            assert_framesets_identical(frame, camera.read(timeout_s=1.0))
        with pytest.raises(CameraDisconnected, match="end of recording .* after 3 frames"):
            camera.read(timeout_s=1.0)


def test_recorded_pace_takes_the_recorded_time_and_fast_much_less(tmp_path):
    _record(tmp_path / "rec", 6)
    recorded_span_s = 5 * PERIOD_NS / 1e9
    elapsed = {}
    for pace in ("recorded", "fast"):
        with create_camera("replay", "c", {"path": str(tmp_path / "rec"), "pace": pace}) as camera:
            started = time.monotonic()
            for _ in range(6):
                camera.read(timeout_s=2.0)
            elapsed[pace] = time.monotonic() - started
    assert recorded_span_s <= elapsed["recorded"] <= recorded_span_s + 0.5
    assert elapsed["fast"] < 0.5 * recorded_span_s


def test_a_frame_not_due_within_the_timeout_is_a_timeout_and_stays_pending(tmp_path):
    frames = _record(tmp_path / "rec", 2, period_ns=600_000_000)
    with create_camera("replay", "c", {"path": str(tmp_path / "rec")}) as camera:
        camera.read(timeout_s=1.0)
        with pytest.raises(CameraTimeout, match="due in"):
            camera.read(timeout_s=0.05)
        assert camera.read(timeout_s=1.0).frame_index == frames[1].frame_index


def test_loop_keeps_indices_and_clocks_increasing(tmp_path):
    _record(tmp_path / "rec", 3)
    options = {"path": str(tmp_path / "rec"), "pace": "fast", "loop": True}
    with create_camera("replay", "c", options) as camera:
        frames = [camera.read(timeout_s=1.0) for _ in range(8)]
    assert [f.frame_index for f in frames] == list(range(8))
    stamps = [f.timestamps.host_monotonic_ns for f in frames]
    assert all(b - a == PERIOD_NS for a, b in zip(stamps, stamps[1:]))
    assert frames[3].colour_bgr.tobytes() == frames[0].colour_bgr.tobytes()


def test_camera_id_override_and_host_clock_restamping(tmp_path):
    _record(tmp_path / "rec", 2)
    options = {"path": str(tmp_path / "rec"), "pace": "fast", "camera_id": "door", "host_timestamps": "now"}
    with create_camera("replay", "c", options) as camera:
        before = time.monotonic_ns()
        frame = camera.read(timeout_s=1.0)
    assert frame.camera_id == "door"
    assert before <= frame.timestamps.host_monotonic_ns <= time.monotonic_ns()
    assert frame.timestamps.sensor_ms == synthetic_frame(0).timestamps.sensor_ms


def test_describe_keeps_the_recorded_camera(tmp_path):
    _record(tmp_path / "rec", 1)
    with create_camera("replay", "c", {"path": str(tmp_path / "rec")}) as camera:
        description = camera.describe()
    assert description.plugin == "replay"
    assert (description.model, description.serial, description.firmware) == ("SR300", "0123456789", "3.26.1.0")
    assert description.streams == DESCRIPTION.streams
    assert description.extra["recorded_plugin"] == "handmade"
    assert description.extra["frames"] == 1


def test_missing_recording_is_camera_not_found_naming_it(tmp_path):
    camera = create_camera("replay", "c", {"path": str(tmp_path / "no_such_recording")})
    with pytest.raises(CameraNotFound, match="no_such_recording"):
        camera.open()
    camera.close()
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(CameraNotFound, match="recording.json not found"):
        create_camera("replay", "c", {"path": str(tmp_path / "empty_dir")}).open()


def test_unsupported_version_is_camera_unsupported(tmp_path):
    _record(tmp_path / "rec", 1)
    header_path = tmp_path / "rec" / "recording.json"
    header = json.loads(header_path.read_text())
    header["format_version"] = 99
    header_path.write_text(json.dumps(header))
    with pytest.raises(CameraUnsupported, match="format_version 99"):
        create_camera("replay", "c", {"path": str(tmp_path / "rec")}).open()


def test_corrupt_frame_during_playback_names_the_file(tmp_path):
    _record(tmp_path / "rec", 2)
    depth = tmp_path / "rec" / "frames" / "000000001.depth.png"
    data = bytearray(depth.read_bytes())
    data[-20] ^= 0x55
    depth.write_bytes(bytes(data))
    with create_camera("replay", "c", {"path": str(tmp_path / "rec"), "pace": "fast"}) as camera:
        camera.read(timeout_s=1.0)
        with pytest.raises(CameraDisconnected, match=r"000000001\.depth\.png \(frame 1"):
            camera.read(timeout_s=1.0)


def test_bad_options_and_use_outside_open(tmp_path):
    with pytest.raises(CameraUnsupported, match="pace"):
        create_camera("replay", "c", {"path": "x", "pace": "slow"})
    with pytest.raises(CameraUnsupported, match="path"):
        create_camera("replay", "c", {})
    camera = create_camera("replay", "c", {"path": str(tmp_path)})
    with pytest.raises(CameraError, match="not open"):
        camera.read(timeout_s=0.1)
    with pytest.raises(CameraError, match="not open"):
        camera.describe()
