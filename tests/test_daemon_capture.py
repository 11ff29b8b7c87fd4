"""The capture thread through a real plugin (replay of a recording written here): frames reach
the slot, the recovery ladder reconnects, a vanished camera is retried without spinning, and
an unsupported camera ends the thread with its error."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from camera_plugins.registry import create_camera
from edge.messages import CameraState
from edge.pipeline.capture import CaptureThread
from edge.pipeline.slot import LatestFrameSlots
from edge.recording import RecordingWriter
from tests._recording_fixtures import DESCRIPTION, synthetic_frame
from tests._waiting import wait_for

PERIOD_NS = 20_000_000  # 50 fps keeps the test short


@pytest.fixture(scope="module")
def written_recording(tmp_path_factory):
    path = tmp_path_factory.mktemp("capture") / "rec"
    with RecordingWriter(path, "cam1", DESCRIPTION) as writer:
        for i in range(10):
            writer.append(synthetic_frame(i, camera_id="cam1", with_truth=False, period_ns=PERIOD_NS))
    return path


@pytest.fixture()
def recording(written_recording, tmp_path):
    """A private copy each test may break."""
    return Path(shutil.copytree(written_recording, tmp_path / "rec"))


def _capture(path, **kwargs):
    slots = LatestFrameSlots(["cam1"])
    camera = create_camera("replay", "cam1", {"path": str(path), **kwargs})
    thread = CaptureThread("cam1", camera, slots, read_timeout_s=0.2, backoff_initial_s=0.05,
                           backoff_max_s=0.2)
    return thread, slots, camera


def test_frames_flow_into_the_slot_and_stop_closes_the_camera(recording):
    thread, slots, camera = _capture(recording)
    thread.start()
    assert thread.opened.wait(2.0)
    got = slots.take_all(2.0)
    assert set(got) == {"cam1"}
    frame = got["cam1"]
    assert frame.frameset.camera_id == "cam1" and frame.capture_wait_ms >= 0.0
    assert wait_for(lambda: thread.frames >= 5)
    assert thread.state is CameraState.STREAMING
    start = time.monotonic()
    thread.stop()
    thread.join(2.0)
    assert not thread.is_alive() and time.monotonic() - start < 2.0
    assert thread.state is CameraState.CLOSED and thread.error is None
    with pytest.raises(Exception, match="not open"):
        camera.describe()


def test_end_of_recording_is_a_disconnect_and_the_thread_reconnects(recording):
    thread, slots, _ = _capture(recording)
    thread.start()
    assert wait_for(lambda: thread.reconnects >= 1 and thread.frames > 10)
    thread.stop()
    thread.join(2.0)
    assert thread.error is None


def test_a_vanished_camera_is_retried_with_back_off_not_a_busy_loop(recording, caplog):
    thread, slots, _ = _capture(recording)
    thread.start()
    assert wait_for(lambda: thread.frames >= 2)
    recording.rename(recording.with_name("unplugged"))  # atomic: the camera is simply gone
    assert wait_for(lambda: thread.state is CameraState.RECONNECTING)
    frames = thread.frames
    cpu_before = time.process_time()
    time.sleep(1.0)
    assert time.process_time() - cpu_before < 0.3  # waiting on back-off, not spinning
    assert thread.frames == frames and thread.is_alive()
    thread.stop()
    thread.join(2.0)
    assert not thread.is_alive()
    # Each warning carries the camera as a journal field (JournalHandler sends record fields).
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert warnings and all(getattr(r, "CAMERA_ID", None) == "cam1" for r in warnings)


def test_an_unsupported_camera_ends_the_thread_with_its_error(recording):
    (recording / "recording.json").write_text('{"format_version": 999}')
    thread, _, _ = _capture(recording)
    thread.start()
    thread.join(3.0)
    assert not thread.is_alive()
    assert thread.state is CameraState.FAILED
    assert "replay camera 'cam1'" in str(thread.error)
