"""Our ctypes binding of the Vzense BaseSDK (``libvzense_api.so``; 3.0.0.x: ``libpicozense_api.so``).

Every prototype the plugin calls is declared with its argtypes and restype, so that ctypes
checks arguments and never truncates a pointer. Every call's status goes through
``status.check`` and becomes a typed camera error. The SDK is not on PyPI: the library is
loaded from a path given in the camera's configuration or in ``$VZENSE_SDK_LIB``.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from camera_plugins.base import CameraNotFound
from camera_plugins.dcam710.enums import (DataMode, DepthRange, FrameType, PixelFormat, RGBResolution,
                                          SensorType)
from camera_plugins.dcam710.status import check
from camera_plugins.dcam710.structs import (Abi, PsCameraExtrinsicParameters, PsCameraParameters,
                                            PsFrameReady)

#: Environment variable naming the vendor library when the configuration does not.
LIBRARY_ENV = "VZENSE_SDK_LIB"
#: The SDK's session index for the DCAM710's one ToF sensor with its RGB sensor.
SESSION = 0

_int, _u32, _handle = ctypes.c_int32, ctypes.c_uint32, ctypes.c_void_p
_bool = ctypes.c_uint8  # C bool in the vendor header


def library_path(configured: str | None, abi: Abi) -> Path:
    """The vendor library to load: the configured path, else $VZENSE_SDK_LIB; it must exist."""
    chosen = configured or os.environ.get(LIBRARY_ENV)
    if not chosen:
        raise CameraNotFound(
            f"dcam710: the Vzense SDK library is not configured; set the camera option sdk_library to the "
            f"path of {abi.default_library} (Vzense BaseSDK {abi.name}), or the environment variable "
            f"{LIBRARY_ENV}")
    path = Path(chosen)
    if not path.is_file():
        source = "sdk_library" if configured else LIBRARY_ENV
        raise CameraNotFound(
            f"dcam710: the Vzense SDK library {str(path)!r} (from {source}) does not exist; install the "
            f"Vzense BaseSDK {abi.name} and point the camera option sdk_library or {LIBRARY_ENV} at its "
            f"{abi.default_library}")
    return path


class VzenseLibrary:
    """The loaded vendor library with every prototype we use declared."""

    def __init__(self, path: Path, abi: Abi) -> None:
        try:
            self._lib = ctypes.CDLL(str(path))
        except OSError as e:
            raise CameraNotFound(
                f"dcam710: cannot load the Vzense SDK library {str(path)!r}: {e}; it also needs "
                f"libImgPreProcess.so next to it or on LD_LIBRARY_PATH") from e
        self.abi = abi
        self.path = path
        frame_p, info_p = ctypes.POINTER(abi.frame), ctypes.POINTER(abi.device_info)
        prototypes = {
            "Ps2_Initialize": [],
            "Ps2_Shutdown": [],
            "Ps2_GetDeviceCount": [ctypes.POINTER(_u32)],
            "Ps2_GetDeviceListInfo": [info_p, _u32],
            "Ps2_OpenDevice": [ctypes.c_char_p, ctypes.POINTER(_handle)],
            "Ps2_CloseDevice": [ctypes.POINTER(_handle)] if abi.close_takes_pointer else [_handle],
            "Ps2_StartStream": [_handle, _u32],
            "Ps2_StopStream": [_handle, _u32],
            "Ps2_ReadNextFrame": [_handle, _u32, ctypes.POINTER(PsFrameReady)],
            "Ps2_GetFrame": [_handle, _u32, _int, frame_p],
            "Ps2_SetDataMode": [_handle, _u32, _int],
            "Ps2_SetDepthRange": [_handle, _u32, _int],
            "Ps2_SetSynchronizeEnabled": [_handle, _u32, _bool],
            "Ps2_SetMapperEnabledRGBToDepth": [_handle, _u32, _bool],
            "Ps2_SetMapperEnabledRGBToIR": [_handle, _u32, _bool],
            "Ps2_SetColorPixelFormat": [_handle, _u32, _int],
            "Ps2_SetRGBResolution": [_handle, _u32, _int],
            "Ps2_GetCameraParameters": [_handle, _u32, _int, ctypes.POINTER(PsCameraParameters)],
            "Ps2_GetCameraExtrinsicParameters": [_handle, _u32, ctypes.POINTER(PsCameraExtrinsicParameters)],
        }
        for name, argtypes in prototypes.items():
            try:
                function = getattr(self._lib, name)
            except AttributeError as e:
                raise CameraNotFound(
                    f"dcam710: {str(path)!r} has no symbol {name}: it is not the Vzense BaseSDK {abi.name} "
                    f"library (set the camera option abi to the SDK generation you installed)") from e
            function.argtypes, function.restype = argtypes, _int
        # Present from 3.5 on only; describe() says "unknown" without it.
        self._sdk_version = getattr(self._lib, "Ps2_GetSDKVersion", None)
        if self._sdk_version is not None:
            self._sdk_version.argtypes, self._sdk_version.restype = [ctypes.c_char_p, _int], _int

    # Each method raises the typed error of its status (camera_plugins.dcam710.status).
    def initialize(self) -> int:
        """Ps2_Initialize's raw status: -101 (already initialised) is fine for the caller."""
        return self._lib.Ps2_Initialize()

    def shutdown(self) -> None:
        check(self._lib.Ps2_Shutdown(), "Ps2_Shutdown")

    def device_count(self) -> int:
        count = _u32(0)
        check(self._lib.Ps2_GetDeviceCount(ctypes.byref(count)), "Ps2_GetDeviceCount")
        return count.value

    def device_list(self, count: int) -> list[ctypes.Structure]:
        infos = (self.abi.device_info * count)()
        check(self._lib.Ps2_GetDeviceListInfo(infos, count), "Ps2_GetDeviceListInfo")
        return list(infos)

    def open_device(self, uri: bytes) -> ctypes.c_void_p:
        handle = _handle()
        check(self._lib.Ps2_OpenDevice(uri, ctypes.byref(handle)), "Ps2_OpenDevice")
        return handle

    def close_device(self, handle: ctypes.c_void_p) -> None:
        argument = ctypes.byref(handle) if self.abi.close_takes_pointer else handle
        check(self._lib.Ps2_CloseDevice(argument), "Ps2_CloseDevice")

    def start_stream(self, handle) -> None:
        check(self._lib.Ps2_StartStream(handle, SESSION), "Ps2_StartStream")

    def stop_stream(self, handle) -> None:
        check(self._lib.Ps2_StopStream(handle, SESSION), "Ps2_StopStream")

    def set_data_mode(self, handle, mode: DataMode) -> None:
        check(self._lib.Ps2_SetDataMode(handle, SESSION, int(mode)), f"Ps2_SetDataMode({mode.name})")

    def set_depth_range(self, handle, depth_range: DepthRange) -> None:
        check(self._lib.Ps2_SetDepthRange(handle, SESSION, int(depth_range)), f"Ps2_SetDepthRange({depth_range.name})")

    def set_synchronize(self, handle, enabled: bool) -> None:
        check(self._lib.Ps2_SetSynchronizeEnabled(handle, SESSION, enabled), "Ps2_SetSynchronizeEnabled")

    def set_mapped_depth(self, handle, enabled: bool) -> None:
        """Depth resampled into colour geometry (the SDK calls it RGB-to-depth mapping)."""
        check(self._lib.Ps2_SetMapperEnabledRGBToDepth(handle, SESSION, enabled), "Ps2_SetMapperEnabledRGBToDepth")

    def set_mapped_ir(self, handle, enabled: bool) -> None:
        """IR resampled into colour geometry (MappedIR)."""
        check(self._lib.Ps2_SetMapperEnabledRGBToIR(handle, SESSION, enabled), "Ps2_SetMapperEnabledRGBToIR")

    def set_colour_format(self, handle, pixel_format: PixelFormat) -> None:
        check(self._lib.Ps2_SetColorPixelFormat(handle, SESSION, int(pixel_format)), "Ps2_SetColorPixelFormat")

    def set_rgb_resolution(self, handle, resolution: RGBResolution) -> None:
        check(self._lib.Ps2_SetRGBResolution(handle, SESSION, int(resolution)), "Ps2_SetRGBResolution")

    def camera_parameters(self, handle, sensor: SensorType) -> PsCameraParameters:
        params = PsCameraParameters()
        check(self._lib.Ps2_GetCameraParameters(handle, SESSION, int(sensor), ctypes.byref(params)),
              f"Ps2_GetCameraParameters({sensor.name})")
        return params

    def extrinsics(self, handle) -> PsCameraExtrinsicParameters:
        params = PsCameraExtrinsicParameters()
        check(self._lib.Ps2_GetCameraExtrinsicParameters(handle, SESSION, ctypes.byref(params)),
              "Ps2_GetCameraExtrinsicParameters")
        return params

    def read_next_frame(self, handle) -> PsFrameReady:
        ready = PsFrameReady()
        check(self._lib.Ps2_ReadNextFrame(handle, SESSION, ctypes.byref(ready)), "Ps2_ReadNextFrame")
        return ready

    def get_frame(self, handle, frame_type: FrameType) -> ctypes.Structure:
        """The SDK's frame; its pixels belong to the SDK until the next read: copy them."""
        frame = self.abi.frame()
        check(self._lib.Ps2_GetFrame(handle, SESSION, int(frame_type), ctypes.byref(frame)),
              f"Ps2_GetFrame({frame_type.name})")
        return frame

    def sdk_version(self) -> str:
        if self._sdk_version is None:
            return f"Vzense SDK {self.abi.name}.x (version call absent)"
        text = ctypes.create_string_buffer(64)
        check(self._sdk_version(text, len(text)), "Ps2_GetSDKVersion")
        return text.value.decode(errors="replace")
