"""The capture thread's recovery ladder on the dcam710 plugin and the fake vendor library: a
stall becomes a reopen after timeouts in a row, an unplugged camera is reopened once it is back,
and a camera that stays away ends the thread so that the service manager restarts the process."""

from __future__ import annotations


import pytest

from camera_plugins.registry import create_camera
from edge.messages import CameraState
from edge.pipeline.capture import CameraRecoveryExhausted, CaptureThread
from edge.pipeline.slot import LatestFrameSlots
from tests._vzense_fake import FakeControl, compile_fake, fake_camera, write_fake_frames
from tests._waiting import wait_for


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    return write_fake_frames(tmp_path_factory.mktemp("dcam710_frames"), 2)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return compile_fake(tmp_path_factory.mktemp("fake_sdk"))


@pytest.fixture()
def sdk(tmp_path, library, frames):
    return fake_camera(tmp_path / "camera", library, frames)


def _capture(sdk, **ladder):
    FakeControl(sdk).set_fps(60)  # paced like a camera, so the thread waits in the SDK
    camera = create_camera("dcam710", "cam1", {"sdk_library": str(sdk), "enumerate_timeout_s": 0.0})
    thread = CaptureThread("cam1", camera, LatestFrameSlots(["cam1"]), read_timeout_s=0.1,
                           backoff_initial_s=0.05, backoff_max_s=0.1, **ladder)
    return thread


def test_an_unplugged_camera_is_reopened_when_it_is_back(sdk):
    thread = _capture(sdk)
    FakeControl(sdk).unplug_after(5, 300)
    thread.start()
    try:
        assert wait_for(lambda: thread.state is CameraState.RECONNECTING)
        assert thread.recovery_step == "reopen"
        assert wait_for(lambda: thread.reconnects == 1 and thread.state is CameraState.STREAMING)
        frames = thread.frames
        assert wait_for(lambda: thread.frames > frames + 3)
        assert thread.recovery_step == "" and thread.error is None
    finally:
        thread.stop()
        thread.join(2.0)
    assert not thread.is_alive()


def test_timeouts_in_a_row_escalate_from_retry_to_reopen(sdk):
    thread = _capture(sdk, timeouts_before_reopen=3)
    thread.start()
    try:
        assert wait_for(lambda: thread.frames >= 2)
        FakeControl(sdk).stall(30)  # 30 × 20 ms of -11: more than three 0.1 s reads
        assert wait_for(lambda: thread.timeouts >= 1)
        assert wait_for(lambda: thread.reconnects >= 1)
        assert thread.timeouts >= 3
        frames = thread.frames
        assert wait_for(lambda: thread.frames > frames + 3)
    finally:
        thread.stop()
        thread.join(2.0)


def test_a_camera_that_stays_away_ends_the_thread_after_a_reset_attempt(sdk):
    thread = _capture(sdk, reopens_before_reset=2, give_up_after_s=0.6)
    FakeControl(sdk).unplug_after(2, 60_000)
    thread.start()
    thread.join(5.0)
    assert not thread.is_alive()
    assert isinstance(thread.error, CameraRecoveryExhausted)
    assert "service manager restarts" in str(thread.error)
    assert thread.state is CameraState.FAILED and thread.recovery_step == "give_up"
    assert thread.hardware_resets == 0  # the DCAM710 has no reset: the ladder went on without one
