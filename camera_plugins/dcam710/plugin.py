"""The ``dcam710`` camera plugin: a PICO/Vzense DCAM710 (time of flight) through our ctypes binding.

Open follows the SDK's call order: initialise, wait for the device to enumerate, pick it (by
serial or the first DCAM710 that is connected), open it, start the stream, then set data mode,
synchronisation, depth range, colour format and resolution and, when ``mapped_depth`` is on,
the SDK's mappers that resample depth and IR into the colour image (MappedDepth and MappedIR;
the SDK's names are inverted: ``Ps2_SetMapperEnabledRGBToDepth``/``…RGBToIR``). Without them the FrameSet carries depth in
the depth sensor's geometry with the SDK's intrinsics and extrinsics (translation in mm), and the
pipeline registers it.

Each read copies the SDK's buffers (they are reused by the next read), turns 0xFFFF (no depth)
into 0 and stamps host times when the read returns: the camera's own timestamp is time of day
only. In ``DepthAndIR_15_RGB_30`` depth and IR alternate; a FrameSet is emitted on each depth
frame with the latest IR. In ``DepthAndRGB_30`` there is no IR stream: the IR image is all zeros
(in the geometry depth is in).
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
import pydantic

from camera_plugins.base import (CameraDescription, CameraDisconnected, CameraError, CameraNotFound,
                                 CameraPlugin, CameraTimeout, CameraUnsupported, PluginOptions)
from camera_plugins.dcam710.binding import VzenseLibrary, library_path
from camera_plugins.dcam710.enums import (CONNECT_STATUS_CONNECTED, DEVICE_TYPE_DCAM710, RGB_RESOLUTIONS, DataMode,
                                          DepthRange, FrameType, PixelFormat, SensorType)
from camera_plugins.dcam710.status import ALREADY_INITIALIZED, READ_NEXT_FRAME_TIMEOUT, check
from camera_plugins.dcam710.structs import ABIS
from edge.frames import DistortionModel, Extrinsics, FrameSet, Geometry, Intrinsics, Timestamps

INVALID_DEPTH = 0xFFFF
IR_FULL_SCALE = 3840
_TIMEOUT_RETRY_PAUSE_S = 0.005
#: Modes that give the FrameSet colour and depth; the others lack a stream the pipeline needs.
_USABLE_MODES = Literal["DepthAndRGB_30", "DepthAndIR_15_RGB_30"]


class DCAM710Options(PluginOptions):
    """Options of the ``dcam710`` camera (a config section validates against these)."""

    #: Path of libvzense_api.so; none: $VZENSE_SDK_LIB.
    sdk_library: str | None = None
    #: The SDK generation the library is: BaseSDK 3.5.x or the older PicoZense 3.0.0.x.
    abi: Literal["3.5", "3.0"] = "3.5"
    #: Serial (the SDK's alias) or URI of the camera; none: the first DCAM710 connected.
    serial: str | None = None
    data_mode: _USABLE_MODES = "DepthAndRGB_30"
    depth_range: Literal["Near", "Mid", "Far"] = "Near"
    synchronize: bool = True
    colour_resolution: Literal["1920x1080", "1280x720", "640x480", "640x360"] = "640x480"
    #: Use the SDK's MappedDepth and MappedIR (colour geometry) instead of our registration.
    mapped_depth: bool = False
    #: How long open() waits for the camera to enumerate after Ps2_Initialize.
    enumerate_timeout_s: float = pydantic.Field(2.0, ge=0)

    @pydantic.field_validator("data_mode", mode="before")
    @classmethod
    def _explain_data_mode(cls, value):
        known = [m.name for m in DataMode]
        if value in known and value not in ("DepthAndRGB_30", "DepthAndIR_15_RGB_30"):
            raise ValueError(f"data_mode {value!r} gives no colour or no depth, which every FrameSet needs; "
                             "use DepthAndRGB_30, or DepthAndIR_15_RGB_30 when IR is wanted")
        if isinstance(value, str) and value not in known:
            raise ValueError(f"data_mode {value!r} is not a DCAM710 data mode (it has no depth-only or IR-only "
                             f"mode); the DCAM710 offers {', '.join(known)}; use DepthAndRGB_30 or "
                             "DepthAndIR_15_RGB_30")
        return value


class DCAM710Camera(CameraPlugin):
    """A PICO/Vzense DCAM710 (entry point ``dcam710``)."""

    name = "dcam710"
    Options = DCAM710Options

    def __init__(self, camera_id: str, options: DCAM710Options | None = None) -> None:
        super().__init__(camera_id, options)
        self.options: DCAM710Options
        self._sdk: VzenseLibrary | None = None
        self._handle = None
        self._initialized = False
        self._description: CameraDescription | None = None
        self._calibration: tuple[Intrinsics, Intrinsics, Extrinsics] | None = None
        self._latest_ir: np.ndarray | None = None
        self._last_index = -1

    # -- open / close ------------------------------------------------------------------------
    def open(self) -> None:
        o = self.options
        abi = ABIS[o.abi]
        sdk = self._sdk = self._sdk or VzenseLibrary(library_path(o.sdk_library, abi), abi)
        try:
            self._open(sdk)
        except CameraError as e:
            self.close()
            raise self._named(e) from e

    def _open(self, sdk: VzenseLibrary) -> None:
        o = self.options
        status = sdk.initialize()
        if status != ALREADY_INITIALIZED:
            check(status, "Ps2_Initialize")
        self._initialized = True
        info = self._choose_device(sdk)
        self._handle = sdk.open_device(info.uri)
        sdk.start_stream(self._handle)
        mode = DataMode[o.data_mode]
        sdk.set_data_mode(self._handle, mode)
        sdk.set_synchronize(self._handle, o.synchronize)
        sdk.set_depth_range(self._handle, DepthRange[o.depth_range])
        sdk.set_colour_format(self._handle, PixelFormat.BGR888)
        sdk.set_rgb_resolution(self._handle, RGB_RESOLUTIONS[o.colour_resolution])
        sdk.set_mapped_depth(self._handle, o.mapped_depth)
        sdk.set_mapped_ir(self._handle, o.mapped_depth and mode is DataMode.DepthAndIR_15_RGB_30)
        self._calibration = self._read_calibration(sdk)
        self._description = self._describe(sdk, info, mode)
        self._latest_ir = None
        self._last_index = -1

    def _choose_device(self, sdk: VzenseLibrary):
        deadline = time.monotonic() + self.options.enumerate_timeout_s
        count = sdk.device_count()
        while count == 0 and time.monotonic() < deadline:  # the SDK enumerates in the background
            time.sleep(0.1)
            count = sdk.device_count()
        if count == 0:
            raise CameraNotFound("no DCAM710 is connected (USB vendor 0x2d40); check the cable, the 12 V "
                                 "adapter and the udev rule (deploy/udev)")
        devices = [d for d in sdk.device_list(count) if d.devicetype == DEVICE_TYPE_DCAM710]
        names = [self._serial_of(d) for d in devices]
        wanted = self.options.serial
        matching = [d for d, n in zip(devices, names) if wanted in (None, n, d.uri.decode(errors="replace"))]
        if not matching:
            what = f"with serial {wanted!r}" if wanted else "(no device of type 710)"
            raise CameraNotFound(f"no DCAM710 {what}; connected: {', '.join(names) or 'none'}")
        ready = [d for d in matching if d.status == CONNECT_STATUS_CONNECTED]
        if not ready:
            raise CameraNotFound(f"the DCAM710 {self._serial_of(matching[0])} is not free (connect status "
                                 f"{matching[0].status}; 3 means another process has it open)")
        return ready[0]

    def _named(self, error: CameraError) -> CameraError:
        """The same error type and status code, its message naming this camera."""
        named = type(error)(f"dcam710 camera {self.camera_id!r}: {str(error).removeprefix('dcam710: ')}")
        named.status_code = getattr(error, "status_code", None)  # type: ignore[attr-defined]
        return named

    def _serial_of(self, info) -> str:
        alias = getattr(info, "alias", b"")  # 3.0.0.x has no alias: the URI names the device
        return (alias or info.uri).decode(errors="replace")

    def close(self) -> None:
        """Stop, close and shut the SDK down, ignoring errors: the device may already be gone."""
        sdk, handle = self._sdk, self._handle
        self._handle = None
        if sdk is not None and handle is not None:
            for step in (lambda: sdk.stop_stream(handle), lambda: sdk.close_device(handle)):
                try:
                    step()
                except CameraError:
                    pass
        if sdk is not None and self._initialized:
            self._initialized = False
            try:
                sdk.shutdown()
            except CameraError:
                pass

    # -- read ---------------------------------------------------------------------------------
    def read(self, timeout_s: float) -> FrameSet:
        if self._handle is None:
            raise CameraDisconnected(f"dcam710 camera {self.camera_id!r} is not open; call open() first")
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                frameset = self._read_once()
            except CameraError as e:
                if getattr(e, "status_code", None) == READ_NEXT_FRAME_TIMEOUT and time.monotonic() < deadline:
                    # The SDK's own wait ended first and ours has time left; the pause keeps an
                    # SDK that answers -11 at once from turning this into a busy loop.
                    time.sleep(_TIMEOUT_RETRY_PAUSE_S)
                    continue
                raise self._named(e) from e
            if frameset is not None:
                return frameset
            if time.monotonic() >= deadline:
                raise CameraTimeout(f"dcam710 camera {self.camera_id!r}: no complete frame within {timeout_s:g} s")

    def _read_once(self) -> FrameSet | None:
        sdk, handle = self._sdk, self._handle
        ready = sdk.read_next_frame(handle)
        host_wall_ns, host_monotonic_ns = time.time_ns(), time.monotonic_ns()
        mapped = self.options.mapped_depth
        ir_type, depth_type = ((FrameType.MappedIR, FrameType.MappedDepth) if mapped
                               else (FrameType.IR, FrameType.Depth))
        if ready.is_ready(ir_type):
            self._latest_ir = _pixels(sdk.get_frame(handle, ir_type), np.uint16)
        if not (ready.is_ready(depth_type) and ready.is_ready(FrameType.RGB)):
            return None
        if self.options.data_mode == "DepthAndIR_15_RGB_30" and self._latest_ir is None:
            return None  # depth came first: wait for the IR it alternates with
        depth_frame = sdk.get_frame(handle, depth_type)
        depth = _pixels(depth_frame, np.uint16)
        depth[depth == INVALID_DEPTH] = 0
        colour_frame = sdk.get_frame(handle, FrameType.RGB)
        colour = _pixels(colour_frame, np.uint8, channels=3)
        if colour_frame.pixelFormat == PixelFormat.RGB888:
            colour = np.ascontiguousarray(colour[..., ::-1])
        index = int(depth_frame.frameIndex)
        if index <= self._last_index:
            return None
        self._last_index = index
        depth_intrinsics, colour_intrinsics, extrinsics = self._calibration
        ir = self._latest_ir if self._latest_ir is not None else np.zeros(depth.shape, np.uint16)
        sensor_ms, domain = _sensor_time(depth_frame, host_monotonic_ns)
        return FrameSet(
            camera_id=self.camera_id, frame_index=index,
            timestamps=Timestamps(sensor_ms, domain, host_wall_ns, host_monotonic_ns),
            colour_bgr=colour, depth_raw=depth, depth_scale_mm=1.0, ir=ir, ir_full_scale=IR_FULL_SCALE,
            colour_intrinsics=colour_intrinsics, depth_intrinsics=depth_intrinsics, depth_to_colour=extrinsics,
            depth_geometry=Geometry.COLOUR if mapped else Geometry.DEPTH_SENSOR,
            ir_geometry=Geometry.COLOUR if mapped else Geometry.DEPTH_SENSOR,
        )

    # -- calibration and description ----------------------------------------------------------
    def _read_calibration(self, sdk: VzenseLibrary) -> tuple[Intrinsics, Intrinsics, Extrinsics]:
        w, h = (int(v) for v in self.options.colour_resolution.split("x"))

        def intrinsics(p, width, height) -> Intrinsics:
            return Intrinsics(width, height, p.fx, p.fy, p.cx, p.cy, DistortionModel.RATIONAL_8,
                              (p.k1, p.k2, p.p1, p.p2, p.k3, p.k4, p.k5, p.k6))

        e = sdk.extrinsics(self._handle)
        return (intrinsics(sdk.camera_parameters(self._handle, SensorType.Depth), 640, 480),
                intrinsics(sdk.camera_parameters(self._handle, SensorType.RGB), w, h),
                Extrinsics(tuple(e.rotation), tuple(e.translation)))  # SDK: row-major, millimetres

    def _describe(self, sdk: VzenseLibrary, info, mode: DataMode) -> CameraDescription:
        o = self.options
        fps = "15fps" if mode is DataMode.DepthAndIR_15_RGB_30 else "30fps"
        depth = f"{o.colour_resolution} MappedDepth" if o.mapped_depth else "640x480 DepthMM16"
        ir_size = f"{o.colour_resolution} MappedIR" if o.mapped_depth else "640x480 Gray16"
        ir = f"{ir_size} {fps}" if mode is DataMode.DepthAndIR_15_RGB_30 else f"none in {mode.name} (zeros)"
        return CameraDescription(
            plugin=self.name, model="PICO/Vzense DCAM710", serial=self._serial_of(info),
            firmware=info.fw.decode(errors="replace"), sdk_version=sdk.sdk_version(), usb_type="2.0",
            streams={"depth": f"{depth} {fps}", "ir": ir, "colour": f"{o.colour_resolution} BGR888 30fps"},
            extra={"data_mode": mode.name, "depth_range": o.depth_range, "synchronize": o.synchronize,
                   "mapped_depth": o.mapped_depth, "abi": o.abi, "uri": info.uri.decode(errors="replace"),
                   "sdk_library": str(sdk.path)})

    def describe(self) -> CameraDescription:
        if self._description is None or self._handle is None:
            raise CameraDisconnected(f"dcam710 camera {self.camera_id!r} is not open; describe() is valid after open()")
        return self._description


def _pixels(frame, dtype, channels: int = 1) -> np.ndarray:
    """A copy of the frame's pixels (the SDK reuses its buffer on the next read)."""
    shape = (frame.height, frame.width) + ((channels,) if channels > 1 else ())
    expected = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if not frame.pFrameData or frame.dataLen != expected:
        raise CameraTimeout(f"malformed frame of type {frame.frameType}: {frame.dataLen} bytes for "
                            f"{frame.width}x{frame.height}, expected {expected}")
    raw = np.ctypeslib.as_array(frame.pFrameData, shape=(expected,))
    return raw.view(dtype).reshape(shape).copy()


def _sensor_time(frame, host_monotonic_ns: int) -> tuple[float, str]:
    stamp = getattr(frame, "timestamp", None)
    if stamp is None:  # 3.0.0.x frames carry no time: the host's arrival time stands in
        return host_monotonic_ns / 1e6, "host_monotonic"
    return (((stamp.tm_hour * 60 + stamp.tm_min) * 60 + stamp.tm_sec) * 1000.0 + stamp.tm_msec), "time_of_day"
