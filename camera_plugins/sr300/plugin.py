"""The ``sr300`` camera plugin: an Intel RealSense SR300/SR305 through pyrealsense2.

One ``rs.pipeline`` streams depth (Z16), infrared (Y8, index 1, pixel-aligned with depth: one
sensor) and colour (BGR8). Depth stays in the camera's raw units with the sensor's depth scale
(about 1/8 mm), so millimetres are ``raw × depth_scale_mm``. Calibration comes from the SDK:
intrinsics with the lens model of each stream and the depth→colour extrinsics, converted to
millimetres.

``align`` chooses who brings depth into the colour image: ``rs_align`` (librealsense's
``rs.align``, in this plugin, with IR following the aligned depth (``ir_alignment.py``); the
FrameSet then says depth and IR are in colour geometry), ``ours``
(the pipeline's own registration of just the face region; the FrameSet carries depth in the
depth sensor's geometry), or ``none`` (no alignment here either: depth-sensor geometry, as for
``ours``, for tools such as edge-record that keep the raw streams).

``playback_file`` plays a recording (``.bag``) through ``rs.config.enable_device_from_file`` and
the same pipeline calls a live camera uses; its end is a disconnect, as when a camera is
unplugged.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

import numpy as np
import pydantic

from camera_plugins.base import (CameraDescription, CameraDisconnected, CameraNotFound, CameraPlugin,
                                 CameraTimeout, CameraUnsupported, PluginOptions)
from camera_plugins.sr300.convert import extrinsics_from_rs, intrinsics_from_rs
from camera_plugins.sr300.ir_alignment import IrToColour
from camera_plugins.sr300.sdk import import_pyrealsense2, installed_sdk_version, require_sr300_support
from edge.frames import FrameSet, Geometry, Timestamps

#: USB product ids: SR300 8086:0aa5, SR305 8086:0b48.
SR300_PRODUCT_IDS = {"0AA5": "SR300", "0B48": "SR305"}
_COLOUR_RESOLUTIONS = Literal["1920x1080", "1280x720", "960x540", "848x480", "640x480", "640x360",
                              "424x240", "320x240", "320x180"]


class SR300Options(PluginOptions):
    """Options of the ``sr300`` camera (a config section validates against these)."""

    #: Serial number of the camera to open; none: the first SR300/SR305 found.
    serial: str | None = None
    fps: Literal[10, 30, 60] = 30
    colour_resolution: _COLOUR_RESOLUTIONS = "640x480"
    depth_resolution: Literal["640x480"] = "640x480"
    align: Literal["rs_align", "ours", "none"] = "ours"
    #: A recording (.bag) to play instead of a live camera, through the same pipeline calls.
    playback_file: str | None = None
    #: Play a recording at the recorded rate (False: as fast as the reader takes frames).
    playback_real_time: bool = True

    @pydantic.field_validator("serial")
    @classmethod
    def _serial_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("serial is empty; give the camera's serial number or leave the key out")
        return value


class SR300Camera(CameraPlugin):
    """An Intel RealSense SR300 or SR305 (entry point ``sr300``)."""

    name = "sr300"
    Options = SR300Options

    def __init__(self, camera_id: str, options: SR300Options | None = None) -> None:
        super().__init__(camera_id, options)
        self.options: SR300Options
        self._rs = None
        self._pipeline = None
        self._align = None
        self._ir_to_colour: IrToColour | None = None
        self._playback = None
        self._description: CameraDescription | None = None
        self._calibration: dict | None = None
        self._last_frame_number = -1

    # -- open / close ------------------------------------------------------------------------
    def open(self) -> None:
        rs = self._rs = import_pyrealsense2()
        sdk_version = installed_sdk_version()
        require_sr300_support(sdk_version)
        config = rs.config()
        o = self.options
        if o.playback_file is not None:
            if not Path(o.playback_file).is_file():
                raise CameraNotFound(f"sr300 camera {self.camera_id!r}: playback_file {o.playback_file!r} does not exist")
            config.enable_device_from_file(o.playback_file, repeat_playback=False)
        else:
            config.enable_device(self._find_live_serial(rs))
        width, height = (int(v) for v in o.depth_resolution.split("x"))
        colour_width, colour_height = (int(v) for v in o.colour_resolution.split("x"))
        config.enable_stream(rs.stream.depth, width, height, rs.format.z16, o.fps)
        config.enable_stream(rs.stream.infrared, 1, width, height, rs.format.y8, o.fps)
        config.enable_stream(rs.stream.color, colour_width, colour_height, rs.format.bgr8, o.fps)
        pipeline = rs.pipeline()
        try:
            # Resolving finds the device and the stream profiles without streaming, so a wrong
            # device is refused before the pipeline starts: stopping a just-started playback
            # pipeline races its reader thread and can crash librealsense 2.54.
            resolved = config.resolve(rs.pipeline_wrapper(pipeline)).get_device()
            self._check_device(rs, resolved)
            if resolved.is_playback():
                # Before the start: the pipeline streams this very device (the context keeps one
                # playback device per file), and a playback switched only once it runs has played
                # its first frames in real time already, free to be dropped.
                resolved.as_playback().set_real_time(o.playback_real_time)
            profile = pipeline.start(config)
        except RuntimeError as e:
            raise CameraUnsupported(
                f"sr300 camera {self.camera_id!r}: cannot stream depth {o.depth_resolution}, IR and colour "
                f"{o.colour_resolution} at {o.fps} fps ({e}); colour at 60 fps needs 1280x720 or smaller") from e
        self._pipeline = pipeline
        device = profile.get_device()
        try:
            if device.is_playback():
                self._playback = device.as_playback()
            self._calibration = self._read_calibration(rs, profile, device)
            self._description = self._describe(rs, device, profile, sdk_version)
        except BaseException:
            self.close()
            raise
        if o.align == "rs_align":
            c = self._calibration
            self._align = rs.align(rs.stream.color)
            self._ir_to_colour = IrToColour(c["depth"], c["colour"], c["depth_to_colour"])
        self._last_frame_number = -1

    def close(self) -> None:
        pipeline, self._pipeline = self._pipeline, None
        self._playback = None
        self._align = None
        if pipeline is not None:
            try:
                pipeline.stop()
            except RuntimeError:  # already stopped by a USB fault: nothing left to release
                pass

    def hardware_reset(self) -> bool:
        """Reset the USB device (the ladder's step after failed reopens); False for a recording."""
        if self.options.playback_file is not None:
            return False
        rs = self._rs or import_pyrealsense2()
        for device in rs.context().query_devices():
            if self._is_sr300(rs, device) and (self.options.serial is None or
                                               device.get_info(rs.camera_info.serial_number) == self.options.serial):
                device.hardware_reset()
                return True
        return False

    # -- read ---------------------------------------------------------------------------------
    def read(self, timeout_s: float) -> FrameSet:
        if self._pipeline is None:
            raise CameraDisconnected(f"sr300 camera {self.camera_id!r} is not open; call open() first")
        rs = self._rs
        arrived, frames = self._pipeline.try_wait_for_frames(max(int(timeout_s * 1000), 1))
        host_wall_ns, host_monotonic_ns = time.time_ns(), time.monotonic_ns()
        if not arrived:
            self._raise_for_missing_frame(timeout_s)
        if self._align is not None:
            frames = self._align.process(frames)
        depth, colour = frames.get_depth_frame(), frames.get_color_frame()
        ir = frames.get_infrared_frame(1)
        if not (depth and colour and ir):
            raise CameraTimeout(f"sr300 camera {self.camera_id!r}: an incomplete frameset arrived")
        number = int(depth.get_frame_number())
        if number <= self._last_frame_number:  # the SDK repeats a frame when one stream lags
            raise CameraTimeout(f"sr300 camera {self.camera_id!r}: frame {number} repeated")
        self._last_frame_number = number
        c = self._calibration
        aligned = self._align is not None
        depth_raw = np.array(depth.get_data(), dtype=np.uint16, copy=True)
        ir_pixels = np.asanyarray(ir.get_data())
        if aligned:  # rs.align moved depth only: IR follows it (ir_alignment.py)
            ir_pixels = self._ir_to_colour.map(depth_raw * np.float32(c["depth_scale_mm"]), ir_pixels)
        return FrameSet(
            camera_id=self.camera_id, frame_index=number,
            timestamps=Timestamps(float(depth.get_timestamp()), _domain_name(rs, depth), host_wall_ns,
                                  host_monotonic_ns),
            # Copies: the SDK reuses its frame buffers once the frames are released.
            colour_bgr=np.array(colour.get_data(), dtype=np.uint8, copy=True),
            depth_raw=depth_raw, depth_scale_mm=c["depth_scale_mm"],
            ir=np.array(ir_pixels, dtype=np.uint8, copy=True), ir_full_scale=255,
            colour_intrinsics=c["colour"], depth_intrinsics=c["depth"], depth_to_colour=c["depth_to_colour"],
            depth_geometry=Geometry.COLOUR if aligned else Geometry.DEPTH_SENSOR,
            ir_geometry=Geometry.COLOUR if aligned else Geometry.DEPTH_SENSOR,
        )

    def _raise_for_missing_frame(self, timeout_s: float) -> None:
        rs = self._rs
        if self._playback is not None and self._playback.current_status() == rs.playback_status.stopped:
            raise CameraDisconnected(f"sr300 camera {self.camera_id!r}: the recording {self.options.playback_file!r} ended")
        if self._playback is None and not self._device_present(rs):
            raise CameraDisconnected(f"sr300 camera {self.camera_id!r}: the camera is no longer on the USB bus")
        raise CameraTimeout(f"sr300 camera {self.camera_id!r}: no frame within {timeout_s:g} s")

    # -- device search and calibration -------------------------------------------------------
    @staticmethod
    def _is_sr300(rs, device) -> bool:
        if device.supports(rs.camera_info.product_id):
            if device.get_info(rs.camera_info.product_id).upper() in SR300_PRODUCT_IDS:
                return True
        name = device.get_info(rs.camera_info.name) if device.supports(rs.camera_info.name) else ""
        return any(model in name for model in SR300_PRODUCT_IDS.values())

    def _device_present(self, rs) -> bool:
        serial = self._description.serial if self._description else self.options.serial
        return any(d.get_info(rs.camera_info.serial_number) == serial for d in rs.context().query_devices()
                   if d.supports(rs.camera_info.serial_number))

    def _find_live_serial(self, rs) -> str:
        found = [d for d in rs.context().query_devices() if self._is_sr300(rs, d)]
        serials = [d.get_info(rs.camera_info.serial_number) for d in found]
        if not serials:
            raise CameraNotFound(f"sr300 camera {self.camera_id!r}: no SR300/SR305 is connected (USB 8086:0aa5 "
                                 "or 8086:0b48); check the cable and the udev rule (deploy/udev)")
        if self.options.serial is None:
            return serials[0]
        if self.options.serial not in serials:
            raise CameraNotFound(f"sr300 camera {self.camera_id!r}: no SR300/SR305 with serial "
                                 f"{self.options.serial!r}; connected: {', '.join(serials)}")
        return self.options.serial

    def _check_device(self, rs, device) -> None:
        name = device.get_info(rs.camera_info.name) if device.supports(rs.camera_info.name) else "unknown"
        if not self._is_sr300(rs, device):
            raise CameraUnsupported(f"sr300 camera {self.camera_id!r}: the device is a {name!r}, not an SR300/SR305; "
                                    "use the plugin for that camera")
        serial = device.get_info(rs.camera_info.serial_number)
        if self.options.serial is not None and serial != self.options.serial:
            raise CameraNotFound(f"sr300 camera {self.camera_id!r}: the recording is of serial {serial!r}, "
                                 f"not the configured serial {self.options.serial!r}")

    def _read_calibration(self, rs, profile, device) -> dict:
        depth = profile.get_stream(rs.stream.depth).as_video_stream_profile()
        colour = profile.get_stream(rs.stream.color).as_video_stream_profile()
        depth_scale_m = device.first_depth_sensor().get_depth_scale()
        if not depth_scale_m > 0:
            raise CameraUnsupported(f"sr300 camera {self.camera_id!r}: the depth sensor reports depth scale "
                                    f"{depth_scale_m}; its calibration is unreadable")
        colour_intrinsics = intrinsics_from_rs(rs, colour.get_intrinsics())
        return {
            "depth_scale_mm": float(depth_scale_m) * 1000.0,
            "depth": intrinsics_from_rs(rs, depth.get_intrinsics()),
            "colour": colour_intrinsics,
            "depth_to_colour": extrinsics_from_rs(depth.get_extrinsics_to(colour)),
        }

    def _describe(self, rs, device, profile, sdk_version: str) -> CameraDescription:
        def info(key) -> str:
            return device.get_info(key) if device.supports(key) else ""

        streams = {}
        for name, kind in (("depth", rs.stream.depth), ("ir", rs.stream.infrared), ("colour", rs.stream.color)):
            p = profile.get_stream(kind).as_video_stream_profile()
            streams[name] = f"{p.width()}x{p.height()} {str(p.format()).split('.')[-1].upper()} {p.fps()}fps"
        extra = {"align": self.options.align, "depth_scale_mm": self._calibration["depth_scale_mm"],
                 "product_id": info(rs.camera_info.product_id)}
        if self.options.playback_file is not None:
            extra["playback_file"] = self.options.playback_file
        return CameraDescription(
            plugin=self.name, model=info(rs.camera_info.name), serial=info(rs.camera_info.serial_number),
            firmware=info(rs.camera_info.firmware_version), sdk_version=f"librealsense {sdk_version or 'source build'}",
            usb_type=info(rs.camera_info.usb_type_descriptor), streams=streams, extra=extra)

    def describe(self) -> CameraDescription:
        if self._description is None or self._pipeline is None:
            raise CameraDisconnected(f"sr300 camera {self.camera_id!r} is not open; describe() is valid after open()")
        return self._description


def _domain_name(rs, frame) -> str:
    domain = frame.get_frame_timestamp_domain()
    return {rs.timestamp_domain.hardware_clock: "hardware", rs.timestamp_domain.system_time: "system_time",
            rs.timestamp_domain.global_time: "global_time"}.get(domain, str(domain))
