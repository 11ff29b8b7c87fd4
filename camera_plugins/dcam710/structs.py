"""The Vzense SDK's packed structs as ctypes types, for the 3.5.x ABI and the older 3.0.0.x one.

Every struct in the vendor header is declared under ``#pragma pack(1)``: fields are unaligned
(``pFrameData`` sits at byte 13 of ``PsFrame``). C ``bool`` is one byte. The two ABIs differ in
``PsFrame`` (3.0.0.x ends after ``height``: no exposure time, depth range, timestamps) and
``PsDeviceInfo`` (3.0.0.x has no ``alias`` and ``ip``). Tests compare every size and offset with
the C compiler's through the fake vendor library's ``sizeof``/``offsetof`` exports.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

from camera_plugins.dcam710.enums import FrameType


class _Packed(ctypes.Structure):
    _pack_ = 1
    #: Python >= 3.14 wants the layout named for a packed struct; older versions ignore it.
    _layout_ = "ms"


class PsFrameReady(_Packed):
    """One uint32 of ready bits, in declaration order from the least significant bit."""

    _fields_ = [
        ("depth", ctypes.c_uint32, 1), ("ir", ctypes.c_uint32, 1), ("rgb", ctypes.c_uint32, 1),
        ("mappedRGB", ctypes.c_uint32, 1), ("mappedDepth", ctypes.c_uint32, 1),
        ("mappedIR", ctypes.c_uint32, 1), ("confidence", ctypes.c_uint32, 1),
        ("wdrDepth", ctypes.c_uint32, 1), ("reserved", ctypes.c_uint32, 24),
    ]

    _FIELD_OF_TYPE = {FrameType.Depth: "depth", FrameType.IR: "ir", FrameType.RGB: "rgb",
                      FrameType.MappedRGB: "mappedRGB", FrameType.MappedDepth: "mappedDepth",
                      FrameType.MappedIR: "mappedIR", FrameType.WDRDepth: "wdrDepth"}

    def is_ready(self, frame_type: FrameType) -> bool:
        return bool(getattr(self, self._FIELD_OF_TYPE[frame_type]))


class PsTimestamp(_Packed):
    """Time of day only (no date), as the camera stamps frames."""

    _fields_ = [("tm_sec", ctypes.c_uint16), ("tm_min", ctypes.c_uint16), ("tm_hour", ctypes.c_uint16),
                ("tm_msec", ctypes.c_uint16)]


_FRAME_HEAD = [
    ("frameIndex", ctypes.c_uint32), ("frameType", ctypes.c_int32), ("pixelFormat", ctypes.c_int32),
    ("imuFrameNo", ctypes.c_uint8), ("pFrameData", ctypes.POINTER(ctypes.c_uint8)),
    ("dataLen", ctypes.c_uint32),
]


class PsFrame35(_Packed):
    """``PsFrame`` of BaseSDK 3.5.x (53 bytes)."""

    _fields_ = _FRAME_HEAD + [
        ("exposureTime", ctypes.c_float), ("depthRange", ctypes.c_int32),
        ("width", ctypes.c_uint16), ("height", ctypes.c_uint16),
        ("timestamp", PsTimestamp), ("hardwaretimestamp", ctypes.c_uint64),
    ]


class PsFrame30(_Packed):
    """``PsFrame`` of the PicoZense 3.0.0.x SDK (37 bytes: ends after ``height``)."""

    _fields_ = _FRAME_HEAD + [
        ("exposureTime", ctypes.c_float), ("depthRange", ctypes.c_int32),
        ("width", ctypes.c_uint16), ("height", ctypes.c_uint16),
    ]


_DEVICE_HEAD = [("SessionCount", ctypes.c_int32), ("devicetype", ctypes.c_int32),
                ("uri", ctypes.c_char * 256), ("fw", ctypes.c_char * 50)]


class PsDeviceInfo35(_Packed):
    """``PsDeviceInfo`` of BaseSDK 3.5.x (398 bytes); ``alias`` carries the serial number."""

    _fields_ = _DEVICE_HEAD + [("alias", ctypes.c_char * 64), ("status", ctypes.c_int32),
                               ("ip", ctypes.c_char * 16)]


class PsDeviceInfo30(_Packed):
    """``PsDeviceInfo`` of the 3.0.0.x SDK (318 bytes)."""

    _fields_ = _DEVICE_HEAD + [("status", ctypes.c_int32)]


class PsCameraParameters(_Packed):
    """Pinhole intrinsics in pixels and distortion in OpenCV's 8-coefficient order."""

    _fields_ = [(name, ctypes.c_double) for name in
                ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2", "k3", "k4", "k5", "k6")]


class PsCameraExtrinsicParameters(_Packed):
    """Depth → colour: rotation row-major, translation in millimetres."""

    _fields_ = [("rotation", ctypes.c_double * 9), ("translation", ctypes.c_double * 3)]


@dataclass(frozen=True)
class Abi:
    """The struct types and call conventions of one SDK generation."""

    name: str
    frame: type[ctypes.Structure]
    device_info: type[ctypes.Structure]
    #: 3.5.x takes ``PsDeviceHandle*`` (and clears it); 3.0.0.x takes the handle by value.
    close_takes_pointer: bool
    default_library: str


ABIS: dict[str, Abi] = {
    "3.5": Abi("3.5", PsFrame35, PsDeviceInfo35, True, "libvzense_api.so"),
    "3.0": Abi("3.0", PsFrame30, PsDeviceInfo30, False, "libpicozense_api.so"),
}
