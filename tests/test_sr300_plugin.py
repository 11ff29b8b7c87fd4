"""The sr300 plugin through pyrealsense2's own playback: recordings built here from simulated
SR300 frames (rs.software_device + rs.recorder), played with rs.config.enable_device_from_file
and rs.pipeline exactly as a live camera streams. Checks frame count, millimetres after the depth
scale, calibration, alignment against the simulator's truth, the description, bad input and the
SDK support window."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

from camera_plugins.base import CameraDisconnected, CameraNotFound, CameraUnsupported
from camera_plugins.registry import create_camera
from camera_plugins.sr300.sdk import PINNED_WHEEL, parse_version, require_sr300_support
from edge.frames import DistortionModel, Geometry
from edge.processing.registration import DepthRegistration, RegisteredDepth
from tests._rs_recording import FIRMWARE, SERIAL, render_sim_frames, write_sr300_recording

COUNT = 4
#: The demo's live subject is in view from 8 s on.
FIRST = 300


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    frames = render_sim_frames(COUNT, first_index=FIRST)
    return write_sr300_recording(tmp_path_factory.mktemp("sr300") / "live.bag", frames)


def _camera(path, **options):
    return create_camera("sr300", "cam1", {"playback_file": str(path), "playback_real_time": False, **options})


def _play_all(camera) -> list:
    frames = []
    with pytest.raises(CameraDisconnected, match="ended"):
        while True:
            frames.append(camera.read(timeout_s=2.0))
    return frames


def test_the_recording_plays_every_frame_in_millimetres_then_ends_as_a_disconnect(recording):
    with _camera(recording.path) as camera:
        played = _play_all(camera)
    # None but the first frameset may be missing. The plugin switches the playback to frame by
    # frame before starting it, and no frame was lost in 200 plays since; when it switched after
    # the start, librealsense 2.54 lost the first frameset about once in 50 plays.
    indices = [f.frame_index for f in played]
    assert indices == list(range(FIRST + COUNT - len(played), FIRST + COUNT)) and len(played) >= COUNT - 1
    for frame in played:
        frame.validate()
        sim = recording.frames[frame.frame_index - FIRST]
        np.testing.assert_array_equal(frame.depth_raw, sim.depth_raw)
        np.testing.assert_array_equal(frame.ir, sim.ir)
        np.testing.assert_array_equal(frame.colour_bgr, sim.colour_bgr)
        assert frame.depth_scale_mm == pytest.approx(0.125, rel=1e-6)  # 1/8 mm units, from the sensor
        valid = sim.depth_raw > 0
        np.testing.assert_allclose(frame.depth_mm()[valid], sim.depth_raw[valid] * 0.125, rtol=1e-6)
        assert frame.timestamps.sensor_domain == "system_time"
    stamps = [f.timestamps.sensor_ms for f in played]
    assert np.allclose(np.diff(stamps), 1000 / 30, atol=0.01)


def test_calibration_comes_from_the_sdk_in_our_units(recording):
    with _camera(recording.path) as camera:
        frame = camera.read(timeout_s=2.0)
    sim = recording.frames[0]
    d, s = frame.depth_intrinsics, sim.depth_intrinsics
    assert d.model is DistortionModel.INVERSE_BROWN_CONRADY and (d.width_px, d.height_px) == (640, 480)
    np.testing.assert_allclose([d.fx_px, d.fy_px, d.cx_px, d.cy_px], [s.fx_px, s.fy_px, s.cx_px, s.cy_px], rtol=1e-6)
    np.testing.assert_allclose(d.coeffs, s.coeffs, rtol=1e-6)
    assert frame.colour_intrinsics.model is DistortionModel.NONE
    np.testing.assert_allclose(frame.depth_to_colour.rotation, sim.depth_to_colour.rotation, atol=1e-6)
    # librealsense keeps metres: the plugin gives millimetres (25.7 mm baseline).
    np.testing.assert_allclose(frame.depth_to_colour.translation_mm, sim.depth_to_colour.translation_mm, atol=1e-4)


def test_the_description_names_model_serial_firmware_usb_and_sdk(recording):
    with _camera(recording.path) as camera:
        description = camera.describe()
    assert description.plugin == "sr300" and description.model == "Intel RealSense SR300"
    assert description.serial == SERIAL and description.firmware == FIRMWARE and description.usb_type == "3.0"
    assert description.sdk_version == f"librealsense {importlib.metadata.version('pyrealsense2')}"
    assert description.streams == {"depth": "640x480 Z16 30fps", "ir": "640x480 Y8 30fps",
                                   "colour": "640x480 BGR8 30fps"}
    assert description.extra["align"] == "ours"


@pytest.mark.parametrize("colour_resolution", ["640x480", "1920x1080"])
def test_depth_aligned_by_rs_align_or_ours_matches_the_simulators_truth(tmp_path, colour_resolution):
    # Four frames, though one is read: once, under two CPU burners, a two-frame recording ended
    # before any frameset reached the reader (while the plugin still switched the playback to
    # frame by frame only after starting it).
    frames = render_sim_frames(4, colour_resolution=colour_resolution, first_index=FIRST)
    path = write_sr300_recording(tmp_path / "aligned.bag", frames).path
    for align in ("rs_align", "ours"):
        with _camera(path, align=align, colour_resolution=colour_resolution) as camera:
            frame = camera.read(timeout_s=2.0)
        frame.validate()
        registration = DepthRegistration.from_frameset(frame)
        if align == "rs_align":
            assert frame.depth_geometry is Geometry.COLOUR and frame.depth_raw.shape == frame.colour_bgr.shape[:2]
            h, w = frame.depth_raw.shape
            registered = RegisteredDepth(frame.depth_mm(), None, (0, 0, w, h))
        else:
            assert frame.depth_geometry is Geometry.DEPTH_SENSOR and frame.depth_raw.shape == (480, 640)
            registered = registration.full(frame.depth_raw, frame.depth_scale_mm)
        # Both keep the depth sensor's z; the truth is the colour camera's Z.
        depth_mm = registration.colour_axis_depth_mm(registered)
        truth = frames[frame.frame_index - FIRST].truth
        x, y, bw, bh = (int(v) for v in truth.faces[0].box_xywh_px)
        face = (slice(y, y + bh), slice(x, x + bw))
        both = (depth_mm[face] > 0) & (truth.depth_in_colour_mm[face] > 0)
        error = np.abs(depth_mm[face] - truth.depth_in_colour_mm[face])[both]
        assert both.mean() > 0.9, (align, both.mean())
        assert np.median(error) < 2.0 and np.percentile(error, 90) < 6.0, (align, np.median(error))
        if align == "rs_align":  # IR follows the aligned depth into the colour image
            assert frame.ir_geometry is Geometry.COLOUR and frame.ir.shape == frame.colour_bgr.shape[:2]
            assert not (frame.ir[frame.depth_raw == 0]).any()
            sim = frames[frame.frame_index - FIRST]
            registered_ir = registration.full(sim.depth_raw, sim.depth_scale_mm, sim.ir).ir
            ir_difference = np.abs(frame.ir[face].astype(int) - registered_ir[face].astype(int))[both]
            assert np.median(ir_difference) <= 5 and np.percentile(ir_difference, 90) <= 20
        else:
            assert frame.ir_geometry is Geometry.DEPTH_SENSOR and frame.ir.shape == (480, 640)


def test_a_wrong_serial_names_the_one_recorded(recording):
    camera = _camera(recording.path, serial="000000000000")
    with pytest.raises(CameraNotFound) as error:
        camera.open()
    assert SERIAL in str(error.value) and "000000000000" in str(error.value)
    camera.close()


def test_a_missing_recording_is_not_found(tmp_path):
    with pytest.raises(CameraNotFound, match="does not exist"):
        _camera(tmp_path / "none.bag").open()


def test_a_camera_that_is_not_an_sr300_is_refused(tmp_path):
    path = write_sr300_recording(tmp_path / "d435.bag", render_sim_frames(2),
                                 name="Intel RealSense D435", product_id="0B07").path
    with pytest.raises(CameraUnsupported, match="not an SR300/SR305"):
        _camera(path).open()


def test_an_unsupported_stream_request_is_refused(recording):
    with pytest.raises(CameraUnsupported, match="cannot stream"):
        _camera(recording.path, colour_resolution="1280x720").open()


def test_bad_options_are_refused_before_opening(recording):
    with pytest.raises(CameraUnsupported, match="align"):
        _camera(recording.path, align="opencv")
    with pytest.raises(CameraUnsupported, match="serial is empty"):
        _camera(recording.path, serial=" ")


@pytest.mark.parametrize("version", ["2.55.1", "2.56.4", "2.59.1.0", "3.0.0"])
def test_an_sdk_without_the_sr300_driver_is_refused_naming_what_to_install(version):
    with pytest.raises(CameraUnsupported) as error:
        require_sr300_support(version)
    message = str(error.value)
    assert version in message and PINNED_WHEEL in message and "2.54" in message and "Jetson" in message


@pytest.mark.parametrize("version", ["2.54.2.5684", "2.50.0", "2.54.1", ""])
def test_sdks_with_the_driver_pass(version):
    require_sr300_support(version)


def test_the_installed_sdk_is_the_pinned_one_with_the_driver():
    installed = importlib.metadata.version("pyrealsense2")
    assert installed == PINNED_WHEEL.split("==")[1]
    assert parse_version(installed)[:2] == (2, 54)
    with pytest.raises(ValueError, match="not dotted numbers"):
        parse_version("2.54-beta")


def test_without_a_connected_sr300_the_live_camera_is_not_found():
    # No camera on this machine's USB bus: the live search through rs.context says so.
    camera = create_camera("sr300", "cam1", {"serial": "617205001234"})
    with pytest.raises(CameraNotFound) as error:
        camera.open()
    assert "no SR300/SR305 is connected" in str(error.value) and "udev" in str(error.value)
    assert camera.hardware_reset() is False  # nothing to reset
    camera.close()
