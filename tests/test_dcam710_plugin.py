"""The dcam710 plugin end to end on the fake vendor library (C, compiled here) serving simulated
DCAM710 frames: the full open → stream → frame → close cycle, 0xFFFF holes, MappedDepth, the data
modes, copies of the SDK's reused buffers, host timestamps, and bad configuration."""

from __future__ import annotations

import time

import numpy as np
import pytest

from camera_plugins.base import CameraDisconnected, CameraNotFound, CameraTimeout, CameraUnsupported
from camera_plugins.registry import create_camera
from edge.frames import Geometry
from tests._vzense_fake import FakeControl, compile_fake, fake_camera, write_fake_frames

COUNT = 3


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    return write_fake_frames(tmp_path_factory.mktemp("dcam710_frames"), COUNT)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return compile_fake(tmp_path_factory.mktemp("fake_sdk"))


@pytest.fixture()
def sdk(tmp_path, library, frames):
    """A private fake camera for this test: its library path."""
    return fake_camera(tmp_path / "camera", library, frames)


def _camera(sdk, **options):
    return create_camera("dcam710", "cam1", {"sdk_library": str(sdk), **options})


def _valid(raw: np.ndarray) -> np.ndarray:
    return np.where(raw == 0xFFFF, 0, raw)


def test_open_stream_frame_close_serves_the_simulated_frames(sdk, frames):
    camera = _camera(sdk)
    camera.open()
    description = camera.describe()
    read = []
    for _ in range(COUNT + 1):
        before = time.monotonic_ns()
        frame = camera.read(timeout_s=2.0)
        assert before <= frame.timestamps.host_monotonic_ns <= time.monotonic_ns()  # stamped on the host
        frame.validate()
        read.append(frame)
    camera.close()
    camera.close()
    assert description.model == "PICO/Vzense DCAM710" and description.serial == "PD71FAKE0001"
    assert description.firmware.startswith("DCAM710_") and description.usb_type == "2.0"
    assert description.extra["data_mode"] == "DepthAndRGB_30"
    assert [f.frame_index for f in read] == list(range(COUNT + 1))
    model = frames.renderer
    for frame in read:
        k = frame.frame_index % COUNT
        assert (frames.depth_raw[k] == 0xFFFF).any()  # the sensor's holes are there…
        assert not (frame.depth_raw == 0xFFFF).any()  # …and the plugin made them 0
        np.testing.assert_array_equal(frame.depth_raw, _valid(frames.depth_raw[k]))
        # The fake's default colour order is RGB like the SDK's: the plugin asked for BGR.
        np.testing.assert_array_equal(frame.colour_bgr, frames.colour_bgr[k])
        assert frame.depth_scale_mm == 1.0 and frame.depth_geometry is Geometry.DEPTH_SENSOR
        assert frame.depth_intrinsics == model.depth_intrinsics
        assert frame.colour_intrinsics == model.colour_intrinsics
        assert frame.depth_to_colour == model.model.depth_to_colour  # translation stays in mm
        assert frame.timestamps.sensor_domain == "time_of_day"
    with pytest.raises(CameraDisconnected, match="not open"):
        camera.read(timeout_s=0.1)


def test_frames_are_copied_before_the_sdk_reuses_its_buffers(sdk, frames):
    with _camera(sdk) as camera:
        first = camera.read(timeout_s=2.0)
        for _ in range(COUNT):
            camera.read(timeout_s=2.0)  # the SDK overwrote its buffers with other frames meanwhile
    assert not np.array_equal(frames.depth_raw[0], frames.depth_raw[1])
    np.testing.assert_array_equal(first.depth_raw, _valid(frames.depth_raw[0]))
    np.testing.assert_array_equal(first.colour_bgr, frames.colour_bgr[0])


def test_mapped_depth_is_depth_in_colour_geometry_with_holes_zeroed(sdk, frames):
    with _camera(sdk, mapped_depth=True) as camera:
        frame = camera.read(timeout_s=2.0)
        assert camera.describe().extra["mapped_depth"] is True
    frame.validate()
    # No IR in DepthAndRGB_30: zeros, in the geometry depth is in (the pipeline needs one geometry).
    assert frame.depth_geometry is Geometry.COLOUR and frame.ir_geometry is Geometry.COLOUR
    assert frame.ir.shape == frame.colour_bgr.shape[:2] and not frame.ir.any()
    assert (frames.mapped_depth_raw[0] == 0xFFFF).any()
    np.testing.assert_array_equal(frame.depth_raw, _valid(frames.mapped_depth_raw[0]))


def test_mapped_ir_comes_with_mapped_depth_when_the_mode_has_ir(sdk, frames):
    with _camera(sdk, mapped_depth=True, data_mode="DepthAndIR_15_RGB_30") as camera:
        read = [camera.read(timeout_s=2.0) for _ in range(2)]
        assert "MappedIR" in camera.describe().streams["ir"]
    for frame in read:
        frame.validate()
        assert frame.ir_geometry is Geometry.COLOUR and frame.depth_geometry is Geometry.COLOUR
        np.testing.assert_array_equal(frame.depth_raw, _valid(frames.mapped_depth_raw[frame.frame_index % COUNT]))
        np.testing.assert_array_equal(frame.ir, frames.mapped_ir[(frame.frame_index - 1) % COUNT])
        assert frame.ir.max() > 0


def test_depth_and_ir_alternate_and_pair_with_the_latest_ir(sdk, frames):
    with _camera(sdk, data_mode="DepthAndIR_15_RGB_30") as camera:
        read = [camera.read(timeout_s=2.0) for _ in range(3)]
        assert "Gray16" in camera.describe().streams["ir"]
    # The fake alternates depth (even reads) and IR (odd): a FrameSet per depth frame, 15 fps.
    assert [f.frame_index for f in read] == [2, 4, 6]
    for frame in read:
        np.testing.assert_array_equal(frame.ir, frames.ir[(frame.frame_index - 1) % COUNT])
        assert frame.ir.dtype == np.uint16 and frame.ir_full_scale == 3840 and frame.ir.max() > 0


def test_without_ir_in_the_data_mode_the_ir_image_is_zeros(sdk):
    with _camera(sdk) as camera:
        frame = camera.read(timeout_s=2.0)
        assert "none" in camera.describe().streams["ir"]
    assert frame.ir.shape == (480, 640) and not frame.ir.any()


def test_the_3_0_abi_streams_with_host_time(tmp_path, frames):
    library = fake_camera(tmp_path / "old", compile_fake(tmp_path, abi="3.0"), frames)
    with create_camera("dcam710", "cam1", {"sdk_library": str(library), "abi": "3.0"}) as camera:
        frame = camera.read(timeout_s=2.0)
        assert camera.describe().serial.startswith("USB#")  # 3.0.0.x has no alias: the URI names it
    np.testing.assert_array_equal(frame.depth_raw, _valid(frames.depth_raw[0]))
    assert frame.timestamps.sensor_domain == "host_monotonic"


def test_a_read_timeout_is_a_camera_timeout_and_streaming_resumes(sdk):
    control = FakeControl(sdk)
    with _camera(sdk) as camera:
        camera.read(timeout_s=2.0)
        control.stall(20)  # the fake answers -11 (20 ms each) twenty times
        with pytest.raises(CameraTimeout, match=r"-11 \(PsRetReadNextFrameTimeOut\)"):
            camera.read(timeout_s=0.05)
        frame = camera.read(timeout_s=2.0)  # our wait outlasts the SDK's: the stall is ridden out
    assert frame.frame_index == 1


def test_a_disconnect_is_reported_and_the_camera_reopens_once_it_is_back(sdk):
    control = FakeControl(sdk)
    camera = _camera(sdk, enumerate_timeout_s=0.0)
    camera.open()
    control.unplug_after(2, 300)
    camera.read(timeout_s=2.0)
    camera.read(timeout_s=2.0)
    with pytest.raises(CameraDisconnected, match=r"-1 \(PsRetNoDeviceConnected\)"):
        camera.read(timeout_s=2.0)
    camera.close()  # the handle is dead: close must not raise
    with pytest.raises(CameraNotFound, match="no DCAM710 is connected"):
        camera.open()
    time.sleep(0.35)
    camera.open()
    assert camera.read(timeout_s=2.0).frame_index == 0
    camera.close()


@pytest.mark.parametrize("mode, expected", [
    ("Depth_30", "not a DCAM710 data mode"),
    ("DepthAndIR_30", "gives no colour or no depth"),
    ("IRAndRGB_30", "gives no colour or no depth"),
])
def test_a_data_mode_the_dcam710_lacks_is_refused_with_the_ones_it_has(sdk, mode, expected):
    with pytest.raises(CameraUnsupported) as error:
        _camera(sdk, data_mode=mode)
    assert expected in str(error.value) and "DepthAndRGB_30" in str(error.value)


def test_a_wrong_serial_names_the_connected_cameras(sdk):
    camera = _camera(sdk, serial="PD71NOPE", enumerate_timeout_s=0.0)
    with pytest.raises(CameraNotFound) as error:
        camera.open()
    assert "'PD71NOPE'" in str(error.value) and "PD71FAKE0001" in str(error.value)
    with _camera(sdk, serial="PD71FAKE0001") as camera:
        assert camera.describe().serial == "PD71FAKE0001"


def test_a_colour_resolution_the_unit_does_not_serve_is_the_sdks_error(sdk):
    # The fake renders 640x480 only and answers -16 (not supported) for other sizes.
    with pytest.raises(CameraUnsupported, match="PsRetCurrentVersionNotSupport"):
        _camera(sdk, colour_resolution="1280x720").open()


def test_the_library_path_may_come_from_the_environment(sdk, monkeypatch):
    monkeypatch.setenv("VZENSE_SDK_LIB", str(sdk))
    with create_camera("dcam710", "cam1") as camera:
        assert camera.describe().extra["sdk_library"] == str(sdk)
