"""librealsense as the reference for registration and hole filling, without a camera.

FrameSets (from the simulator) are fed to a ``rs.software_device``, written with
``rs.recorder`` and played back through ``rs.pipeline``: the frames then carry the right
depth units (live software frames of 2.54 carry units 0) and reach ``rs.align`` and
``rs.hole_filling_filter`` exactly as a real SR300's do. Used by the tests and the
benchmark; needs pyrealsense2 (the ``realsense`` extra).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyrealsense2 as rs

from edge.frames import DistortionModel, Extrinsics, FrameSet, Intrinsics

_RS_MODEL = {
    DistortionModel.NONE: rs.distortion.none,
    DistortionModel.BROWN_CONRADY: rs.distortion.brown_conrady,
    DistortionModel.INVERSE_BROWN_CONRADY: rs.distortion.inverse_brown_conrady,
}
_FPS = 30


def rs_intrinsics(intr: Intrinsics) -> rs.intrinsics:
    """Our intrinsics as librealsense's (RATIONAL_8 has no librealsense equivalent)."""
    model = DistortionModel(intr.model)
    if model not in _RS_MODEL:
        raise ValueError(f"librealsense has no {model.value} lens model; use none or (inverse) Brown-Conrady")
    out = rs.intrinsics()
    out.width, out.height = intr.width_px, intr.height_px
    out.fx, out.fy, out.ppx, out.ppy = intr.fx_px, intr.fy_px, intr.cx_px, intr.cy_px
    out.model = _RS_MODEL[model]
    out.coeffs = list(intr.coeffs) if intr.coeffs else [0.0] * 5
    return out


def rs_extrinsics(extr: Extrinsics) -> rs.extrinsics:
    """librealsense stores the rotation column-major and the translation in metres."""
    out = rs.extrinsics()
    out.rotation = list(extr.rotation_matrix().T.ravel())
    out.translation = [v / 1000.0 for v in extr.translation_mm]
    return out


def record(framesets: Sequence[FrameSet], path: Path) -> Path:
    """Write FrameSets (all with the same geometry) to a librealsense recording (.bag on 2.54)."""
    first = framesets[0]
    device = rs.software_device()
    device.update_info(rs.camera_info.name, f"software {first.camera_id}")
    depth_sensor = device.add_sensor("Depth")
    colour_sensor = device.add_sensor("Color")
    depth_h, depth_w = first.depth_raw.shape
    colour_h, colour_w = first.colour_bgr.shape[:2]
    depth_profile = depth_sensor.add_video_stream(
        _stream(rs.stream.depth, 0, 0, depth_w, depth_h, 2, rs.format.z16, first.depth_intrinsics)
    )
    ir_format, ir_bpp = (rs.format.y8, 1) if first.ir.dtype == np.uint8 else (rs.format.y16, 2)
    ir_profile = depth_sensor.add_video_stream(
        _stream(rs.stream.infrared, 1, 1, depth_w, depth_h, ir_bpp, ir_format, first.depth_intrinsics)
    )
    colour_profile = colour_sensor.add_video_stream(
        _stream(rs.stream.color, 0, 2, colour_w, colour_h, 3, rs.format.bgr8, first.colour_intrinsics)
    )
    depth_sensor.add_read_only_option(rs.option.depth_units, first.depth_scale_mm / 1000.0)
    depth_profile.register_extrinsics_to(colour_profile, rs_extrinsics(first.depth_to_colour))
    depth_profile.register_extrinsics_to(ir_profile, rs_extrinsics(Extrinsics()))
    device.create_matcher(rs.matchers.default)

    recorder = rs.recorder(str(path), device)
    sink = rs.frame_queue(len(framesets) * 3 + 3)
    depth_sensor.open([depth_profile, ir_profile])
    colour_sensor.open(colour_profile)
    depth_sensor.start(sink)
    colour_sensor.start(sink)
    # Epoch milliseconds: newer SDKs never match frames with small synthetic timestamps.
    start_ms = time.time() * 1000.0
    for i, fs in enumerate(framesets):
        stamp = start_ms + i * 1000.0 / _FPS
        _push(depth_sensor, depth_profile, fs.depth_raw, 2, stamp, i)
        _push(depth_sensor, ir_profile, fs.ir, ir_bpp, stamp, i)
        _push(colour_sensor, colour_profile, fs.colour_bgr, 3, stamp, i)
    recorder.pause()
    for sensor in (depth_sensor, colour_sensor):
        sensor.stop()
        sensor.close()
    del recorder
    return path


@contextmanager
def playback(path: Path) -> Iterator[Iterator[rs.composite_frame]]:
    """Play a recording through rs.pipeline as a live camera; yields an iterator of framesets."""
    pipeline = rs.pipeline()
    config = rs.config()
    config.enable_device_from_file(str(path), repeat_playback=False)
    profile = pipeline.start(config)
    profile.get_device().as_playback().set_real_time(False)

    def framesets() -> Iterator[rs.composite_frame]:
        while True:
            ok, frames = pipeline.try_wait_for_frames(2000)
            if not ok:
                return
            yield frames

    try:
        yield framesets()
    finally:
        pipeline.stop()


def align_to_colour(framesets: Sequence[FrameSet], workdir: Path) -> dict[int, np.ndarray]:
    """rs.align(colour) of each FrameSet's depth, in millimetres (float32), by frame index.

    The first frameset of a playback may be dropped by the SDK, so some indexes can be missing."""
    path = record(framesets, Path(workdir) / "reference.bag")
    scale_mm = framesets[0].depth_scale_mm
    align = rs.align(rs.stream.color)
    aligned: dict[int, np.ndarray] = {}
    with playback(path) as frames:
        for frame in frames:
            depth = align.process(frame).get_depth_frame()
            index = frame.get_depth_frame().get_frame_number()
            aligned[index] = np.asanyarray(depth.get_data()).astype(np.float32) * np.float32(scale_mm)
    return aligned


def _stream(kind, index, uid, width, height, bpp, fmt, intr: Intrinsics) -> rs.video_stream:
    s = rs.video_stream()
    s.type, s.index, s.uid = kind, index, uid
    s.width, s.height, s.fps, s.bpp, s.fmt = width, height, _FPS, bpp, fmt
    s.intrinsics = rs_intrinsics(intr)
    return s


def _push(sensor, profile, pixels: np.ndarray, bpp: int, stamp_ms: float, index: int) -> None:
    frame = rs.software_video_frame()
    data = np.ascontiguousarray(pixels)
    frame.pixels = data
    frame.bpp = bpp
    frame.stride = data.shape[1] * bpp
    frame.timestamp = stamp_ms
    frame.domain = rs.timestamp_domain.system_time
    frame.frame_number = index
    frame.profile = profile.as_video_stream_profile()
    sensor.on_video_frame(frame)
