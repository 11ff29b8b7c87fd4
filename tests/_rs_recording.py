"""SR300 recordings built at test time: the simulator's ``sr300`` frames fed through
``rs.software_device`` into ``rs.recorder``, so that the ``sr300`` plugin can be run on them
through ``rs.config.enable_device_from_file`` + ``rs.pipeline`` exactly as on a live camera.

The software device is dressed as an SR300: a "Coded-Light Depth Sensor" with depth (Z16) and
infrared (Y8, index 1) streams carrying the simulator's depth intrinsics (inverse
Brown-Conrady), a read-only depth-units option of 1/8 mm, and an "RGB Camera" with colour
(BGR8). The depth→colour extrinsics are registered in librealsense's convention (rotation
column-major, translation in metres). Frames are stamped with epoch milliseconds (from 2.56
on, small synthetic timestamps are never matched into framesets) and recordings are never
committed: they are written into the test's temporary directory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyrealsense2 as rs

from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scenarios import demo_scene
from edge.frames import DistortionModel, FrameSet, Intrinsics

SERIAL = "617205001234"
FIRMWARE = "3.26.3.0"
DEVICE_NAME = "Intel RealSense SR300"
FPS = 30


@dataclass(frozen=True)
class SimRecording:
    """A recording on disk and the simulator frames it holds, in order."""

    path: Path
    frames: list[FrameSet]


def _rs_intrinsics(i: Intrinsics) -> rs.intrinsics:
    out = rs.intrinsics()
    out.width, out.height = i.width_px, i.height_px
    out.fx, out.fy, out.ppx, out.ppy = i.fx_px, i.fy_px, i.cx_px, i.cy_px
    models = {DistortionModel.NONE: rs.distortion.none, DistortionModel.BROWN_CONRADY: rs.distortion.brown_conrady,
              DistortionModel.INVERSE_BROWN_CONRADY: rs.distortion.inverse_brown_conrady}
    out.model = models[DistortionModel(i.model)]
    out.coeffs = list(i.coeffs) if i.coeffs else [0.0] * 5
    return out


def _video_stream(kind, index: int, uid: int, fmt, bpp: int, intrinsics: Intrinsics) -> rs.video_stream:
    s = rs.video_stream()
    s.type, s.index, s.uid = kind, index, uid
    s.width, s.height, s.fps, s.bpp, s.fmt = intrinsics.width_px, intrinsics.height_px, FPS, bpp, fmt
    s.intrinsics = _rs_intrinsics(intrinsics)
    return s


def render_sim_frames(count: int, colour_resolution: str = "640x480", seed: int = 0,
                      first_index: int = 0) -> list[FrameSet]:
    """``count`` frames of the demo scenario as the simulated SR300 renders them."""
    renderer = SimRenderer("sr300", colour_resolution, seed)
    return [renderer.render(demo_scene(i, FPS), i) for i in range(first_index, first_index + count)]


def write_sr300_recording(path: Path, frames: list[FrameSet], serial: str = SERIAL,
                          name: str = DEVICE_NAME, product_id: str = "0AA5") -> SimRecording:
    """Record ``frames`` (simulator sr300 FrameSets) as an SR300 ``.bag`` at ``path``."""
    first = frames[0]
    device = rs.software_device()
    for key, value in ((rs.camera_info.name, name), (rs.camera_info.serial_number, serial),
                       (rs.camera_info.firmware_version, FIRMWARE), (rs.camera_info.usb_type_descriptor, "3.0"),
                       (rs.camera_info.product_id, product_id)):
        # 2.54 names every software device "Software-Device" already: replace it there.
        (device.update_info if device.supports(key) else device.register_info)(key, value)
    depth_sensor = device.add_sensor("Coded-Light Depth Sensor")
    colour_sensor = device.add_sensor("RGB Camera")
    depth_profile = depth_sensor.add_video_stream(
        _video_stream(rs.stream.depth, 0, 0, rs.format.z16, 2, first.depth_intrinsics))
    ir_profile = depth_sensor.add_video_stream(
        _video_stream(rs.stream.infrared, 1, 1, rs.format.y8, 1, first.depth_intrinsics))
    colour_profile = colour_sensor.add_video_stream(
        _video_stream(rs.stream.color, 0, 2, rs.format.bgr8, 3, first.colour_intrinsics))
    depth_sensor.add_read_only_option(rs.option.depth_units, first.depth_scale_mm / 1000.0)
    extrinsics = rs.extrinsics()
    # librealsense stores the rotation column-major and the translation in metres.
    extrinsics.rotation = list(first.depth_to_colour.rotation_matrix().T.ravel())
    extrinsics.translation = [v / 1000.0 for v in first.depth_to_colour.translation_mm]
    depth_profile.register_extrinsics_to(colour_profile, extrinsics)
    identity = rs.extrinsics()
    identity.rotation, identity.translation = [1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 0]
    depth_profile.register_extrinsics_to(ir_profile, identity)
    device.create_matcher(rs.matchers.default)  # di/dic crash with a colour sensor present

    recorder = rs.recorder(str(path), device)
    sink = rs.frame_queue(4 * len(frames) + 8)
    for sensor, profiles in ((depth_sensor, [depth_profile, ir_profile]), (colour_sensor, [colour_profile])):
        sensor.open(profiles)
        sensor.start(sink)
    epoch_ms = time.time() * 1000.0
    for frame in frames:
        stamp_ms = epoch_ms + frame.timestamps.sensor_ms
        for sensor, profile, pixels, bpp in (
            (depth_sensor, depth_profile, frame.depth_raw, 2),
            (depth_sensor, ir_profile, frame.ir, 1),
            (colour_sensor, colour_profile, frame.colour_bgr, 3),
        ):
            video = rs.software_video_frame()
            video.pixels = np.ascontiguousarray(pixels)
            video.bpp, video.stride = bpp, pixels.shape[1] * bpp
            video.timestamp, video.domain = stamp_ms, rs.timestamp_domain.system_time
            video.frame_number, video.profile = frame.frame_index, profile.as_video_stream_profile()
            sensor.on_video_frame(video)
    for sensor in (depth_sensor, colour_sensor):
        sensor.stop()
        sensor.close()
    recorder.pause()  # flushes the file; dropping the recorder closes it
    del recorder
    return SimRecording(Path(path), list(frames))
