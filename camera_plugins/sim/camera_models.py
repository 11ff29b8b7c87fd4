"""The two cameras the paper captures GREAT-FASD-S with (section III-C, Table 2), as the simulator sees them.

Each :class:`CameraModel` carries the stream geometry a real unit reports through its SDK: the
depth sensor's 640×480 intrinsics with its lens model (SR300: inverse Brown-Conrady, as
librealsense reports it; DCAM710: OpenCV's 8-coefficient rational model, as the Vzense SDK's
``PsCameraParameters`` gives it), the colour intrinsics at 640×480 and 1920×1080, the rigid
depth→colour transform, and the encodings (depth units, invalid code, IR dtype and full scale).

The numbers are typical of real units (a few per cent differ from unit to unit through factory
calibration); the simulator only needs them to be plausible and self-consistent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from edge.frames import DistortionModel, Extrinsics, Intrinsics

COLOUR_RESOLUTIONS = ("640x480", "1920x1080")


def _rotation_from_euler_deg(rx: float, ry: float, rz: float) -> tuple[float, ...]:
    """Row-major R = Rz·Ry·Rx for small mounting rotations between two sensors on one board."""
    ax, ay, az = (math.radians(a) for a in (rx, ry, rz))
    rx_m = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry_m = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz_m = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
    return tuple(float(v) for v in (rz_m @ ry_m @ rx_m).ravel())


@dataclass(frozen=True)
class CameraModel:
    """Stream geometry, encodings and depth principle of one multi-modal camera."""

    name: str
    #: "coded_light" (SR300) or "time_of_flight" (DCAM710): selects the sensor physics.
    depth_principle: str
    depth_intrinsics: Intrinsics
    #: Colour intrinsics per "WxH" resolution string.
    colour_intrinsics_by_resolution: dict[str, Intrinsics]
    depth_to_colour: Extrinsics
    #: Millimetres per raw depth unit.
    depth_scale_mm: float
    #: Raw code for "no depth" before the plugin converts it to 0.
    invalid_depth_code: int
    ir_dtype: type
    ir_full_scale: int
    #: Working range of the depth sensor (closer or farther reads as invalid).
    range_mm: tuple[float, float]
    fps: float
    #: Distance between the depth camera and its light source along x (coded light casts
    #: occlusion shadows across it; for ToF the emitters ring the lens and this is ~0).
    illuminator_baseline_mm: float

    def colour_intrinsics(self, resolution: str = "640x480") -> Intrinsics:
        if resolution not in self.colour_intrinsics_by_resolution:
            raise ValueError(
                f"colour_resolution {resolution!r} is not offered by the {self.name}; "
                f"choose one of {sorted(self.colour_intrinsics_by_resolution)}"
            )
        return self.colour_intrinsics_by_resolution[resolution]

    def check_distance(self, distance_mm: float) -> None:
        """ValueError when a subject at this distance is outside the depth sensor's range."""
        low, high = self.range_mm
        if not low <= distance_mm <= high:
            raise ValueError(
                f"distance_mm {distance_mm:g} is outside the {self.name}'s working range "
                f"{low:g}–{high:g} mm; place the face within it"
            )

    @property
    def ir_max_value(self) -> int:
        return int(np.iinfo(self.ir_dtype).max)


def _colour_pair(full_fx: float, full_cx: float, full_cy: float, model: DistortionModel,
                 coeffs: tuple[float, ...]) -> dict[str, Intrinsics]:
    """1920×1080 and the 640×480 mode, which is the sensor's central 1440×1080 scaled by 4/9."""
    full = Intrinsics(1920, 1080, full_fx, full_fx, full_cx, full_cy, model, coeffs)
    s = 640.0 / 1440.0
    vga = Intrinsics(640, 480, full_fx * s, full_fx * s, (full_cx - 240.0) * s, full_cy * s, model, coeffs)
    return {"640x480": vga, "1920x1080": full}


SR300 = CameraModel(
    name="sr300",
    depth_principle="coded_light",
    # ~68°×54° field of view; librealsense reports the SR300 depth lens as inverse Brown-Conrady.
    depth_intrinsics=Intrinsics(
        640, 480, 475.6, 475.6, 313.8, 246.2, DistortionModel.INVERSE_BROWN_CONRADY,
        (0.138, 0.101, 0.0041, 0.0052, 0.071),
    ),
    # The SR300's colour stream is reported without distortion.
    colour_intrinsics_by_resolution=_colour_pair(1386.0, 958.5, 541.2, DistortionModel.NONE, ()),
    depth_to_colour=Extrinsics(_rotation_from_euler_deg(0.12, -0.21, 0.05), (25.7, 0.28, 3.9)),
    depth_scale_mm=0.125,
    invalid_depth_code=0,
    ir_dtype=np.uint8,
    ir_full_scale=255,
    range_mm=(200.0, 1500.0),
    fps=30.0,
    illuminator_baseline_mm=30.0,
)

DCAM710 = CameraModel(
    name="dcam710",
    depth_principle="time_of_flight",
    # ~69°×55°; the SDK reports k1 k2 p1 p2 k3 k4 k5 k6 (OpenCV's rational model).
    depth_intrinsics=Intrinsics(
        640, 480, 494.7, 494.7, 322.4, 238.9, DistortionModel.RATIONAL_8,
        (-0.168, 0.043, 0.0009, -0.0006, -0.006, 0.052, -0.021, 0.003),
    ),
    colour_intrinsics_by_resolution=_colour_pair(
        1394.0, 963.1, 537.6, DistortionModel.RATIONAL_8,
        (0.071, -0.142, 0.0004, 0.0007, 0.058, 0.0, 0.0, 0.0),
    ),
    depth_to_colour=Extrinsics(_rotation_from_euler_deg(-0.18, 0.31, -0.09), (45.2, -0.6, 1.8)),
    depth_scale_mm=1.0,
    invalid_depth_code=0xFFFF,
    ir_dtype=np.uint16,
    ir_full_scale=3840,
    # The "Near" depth range (0.35–1.5 m), the one that covers the paper's 0.4–1.2 m.
    range_mm=(350.0, 1500.0),
    fps=30.0,
    illuminator_baseline_mm=0.0,
)

CAMERA_MODELS: dict[str, CameraModel] = {m.name: m for m in (SR300, DCAM710)}


def camera_model(name: str) -> CameraModel:
    """The named model, or a ValueError listing the ones the simulator knows."""
    if name not in CAMERA_MODELS:
        raise ValueError(f"camera_model {name!r} is unknown; choose one of {sorted(CAMERA_MODELS)}")
    return CAMERA_MODELS[name]
