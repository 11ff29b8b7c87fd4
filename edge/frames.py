"""The frame model: what a camera plugin yields and the geometry that comes with it.

Every length carries its unit in its name (``_mm``, ``_px``), every time its clock and unit
(``_ns``, ``_ms``). Depth is kept in the camera's raw integer units together with the scale
that turns it into millimetres, so that the SR300's 1/8 mm units and the DCAM710's millimetres
reach the same numbers only where a rule is stated in millimetres.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np


class DistortionModel(str, enum.Enum):
    """Lens models the two cameras use, with OpenCV's coefficient order."""

    NONE = "none"
    #: k1, k2, p1, p2, k3 applied to ideal coordinates (OpenCV's 5-coefficient model).
    BROWN_CONRADY = "brown_conrady"
    #: librealsense's SR300 depth model: the same polynomial maps *distorted* to ideal.
    INVERSE_BROWN_CONRADY = "inverse_brown_conrady"
    #: k1, k2, p1, p2, k3, k4, k5, k6 (OpenCV's rational model; the DCAM710's parameters).
    RATIONAL_8 = "rational_8"


_COEFFICIENT_COUNT = {
    DistortionModel.NONE: 0,
    DistortionModel.BROWN_CONRADY: 5,
    DistortionModel.INVERSE_BROWN_CONRADY: 5,
    DistortionModel.RATIONAL_8: 8,
}


class Geometry(str, enum.Enum):
    """Which image geometry a stream's pixels are in."""

    #: The depth sensor's own geometry (IR shares it on both cameras).
    DEPTH_SENSOR = "depth_sensor"
    #: Already resampled into the colour image by the camera or its SDK.
    COLOUR = "colour"


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics of one stream, in pixels, plus its lens distortion."""

    width_px: int
    height_px: int
    fx_px: float
    fy_px: float
    cx_px: float
    cy_px: float
    model: DistortionModel = DistortionModel.NONE
    coeffs: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        expected = _COEFFICIENT_COUNT[DistortionModel(self.model)]
        if len(self.coeffs) not in (0, expected):
            raise ValueError(
                f"intrinsics: model {self.model.value} takes {expected} coefficients, "
                f"got {len(self.coeffs)}"
            )
        if self.width_px <= 0 or self.height_px <= 0 or self.fx_px <= 0 or self.fy_px <= 0:
            raise ValueError(f"intrinsics: sizes and focal lengths must be positive: {self}")

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width), numpy's order."""
        return (self.height_px, self.width_px)

    def camera_matrix(self) -> np.ndarray:
        return np.array(
            [[self.fx_px, 0.0, self.cx_px], [0.0, self.fy_px, self.cy_px], [0.0, 0.0, 1.0]]
        )

    def distortion_vector(self) -> np.ndarray:
        """Coefficients padded to the model's length (zeros when none were given)."""
        n = _COEFFICIENT_COUNT[DistortionModel(self.model)]
        return np.array(self.coeffs if self.coeffs else (0.0,) * n, dtype=np.float64)

    def to_dict(self) -> dict:
        return {
            "width_px": self.width_px,
            "height_px": self.height_px,
            "fx_px": self.fx_px,
            "fy_px": self.fy_px,
            "cx_px": self.cx_px,
            "cy_px": self.cy_px,
            "model": DistortionModel(self.model).value,
            "coeffs": list(self.coeffs),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Intrinsics:
        return cls(
            width_px=int(d["width_px"]),
            height_px=int(d["height_px"]),
            fx_px=float(d["fx_px"]),
            fy_px=float(d["fy_px"]),
            cx_px=float(d["cx_px"]),
            cy_px=float(d["cy_px"]),
            model=DistortionModel(d["model"]),
            coeffs=tuple(float(c) for c in d["coeffs"]),
        )


@dataclass(frozen=True)
class Extrinsics:
    """Rigid transform from one sensor's frame to another's: X_to = R·X_from + t.

    ``rotation`` is row-major 3×3; ``translation_mm`` is in millimetres (the DCAM710 SDK
    reports millimetres, librealsense metres: plugins convert)."""

    rotation: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    translation_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if len(self.rotation) != 9 or len(self.translation_mm) != 3:
            raise ValueError("extrinsics: rotation needs 9 values, translation_mm 3")

    def rotation_matrix(self) -> np.ndarray:
        return np.asarray(self.rotation, dtype=np.float64).reshape(3, 3)

    def translation_vector_mm(self) -> np.ndarray:
        return np.asarray(self.translation_mm, dtype=np.float64)

    def apply(self, points_mm: np.ndarray) -> np.ndarray:
        """Transform N×3 points in millimetres."""
        return points_mm @ self.rotation_matrix().T + self.translation_vector_mm()

    def to_dict(self) -> dict:
        return {"rotation": list(self.rotation), "translation_mm": list(self.translation_mm)}

    @classmethod
    def from_dict(cls, d: dict) -> Extrinsics:
        return cls(
            rotation=tuple(float(v) for v in d["rotation"]),
            translation_mm=tuple(float(v) for v in d["translation_mm"]),
        )


@dataclass(frozen=True)
class Timestamps:
    """When a FrameSet was captured, on the sensor's clock and on the host's two clocks."""

    sensor_ms: float
    #: The sensor clock's domain, e.g. "hardware", "system_time", "time_of_day", "simulated".
    sensor_domain: str
    #: Host wall clock (time.time_ns()) when the read returned.
    host_wall_ns: int
    #: Host monotonic clock (time.monotonic_ns()) when the read returned.
    host_monotonic_ns: int

    def to_dict(self) -> dict:
        return {
            "sensor_ms": self.sensor_ms,
            "sensor_domain": self.sensor_domain,
            "host_wall_ns": self.host_wall_ns,
            "host_monotonic_ns": self.host_monotonic_ns,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Timestamps:
        return cls(
            sensor_ms=float(d["sensor_ms"]),
            sensor_domain=str(d["sensor_domain"]),
            host_wall_ns=int(d["host_wall_ns"]),
            host_monotonic_ns=int(d["host_monotonic_ns"]),
        )


@dataclass(frozen=True)
class FaceTruth:
    """What the simulator knows about one face it rendered (colour-image pixels)."""

    #: "live" or an attack: "print_colour", "print_bw", "screen", "mask_3d".
    presentation: str
    #: Stable per identity within a scene, so trackers can be checked.
    subject_id: int
    #: x, y, width, height in colour pixels of the face region a detector reports.
    box_xywh_px: tuple[float, float, float, float]
    #: Five landmarks (right eye, left eye, nose tip, right and left mouth corner), colour px.
    landmarks_px: tuple[tuple[float, float], ...]
    distance_mm: float
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    roll_deg: float = 0.0

    @property
    def is_live(self) -> bool:
        return self.presentation == "live"

    def to_dict(self) -> dict:
        return {
            "presentation": self.presentation,
            "subject_id": self.subject_id,
            "box_xywh_px": list(self.box_xywh_px),
            "landmarks_px": [list(p) for p in self.landmarks_px],
            "distance_mm": self.distance_mm,
            "yaw_deg": self.yaw_deg,
            "pitch_deg": self.pitch_deg,
            "roll_deg": self.roll_deg,
        }

    @classmethod
    def from_dict(cls, d: dict) -> FaceTruth:
        return cls(
            presentation=d["presentation"],
            subject_id=int(d["subject_id"]),
            box_xywh_px=tuple(float(v) for v in d["box_xywh_px"]),
            landmarks_px=tuple((float(x), float(y)) for x, y in d["landmarks_px"]),
            distance_mm=float(d["distance_mm"]),
            yaw_deg=float(d.get("yaw_deg", 0.0)),
            pitch_deg=float(d.get("pitch_deg", 0.0)),
            roll_deg=float(d.get("roll_deg", 0.0)),
        )


@dataclass(frozen=True)
class SceneTruth:
    """Ground truth of one simulated frame: faces, lighting, and depth in colour geometry."""

    faces: tuple[FaceTruth, ...] = ()
    lighting: str = "normal"
    #: True depth in millimetres, float32, in colour-image geometry (0 where nothing is).
    depth_in_colour_mm: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass
class FrameSet:
    """One synchronised capture of colour, depth and infrared from one camera.

    Invalid depth is 0 (plugins convert a camera's other invalid codes, e.g. 0xFFFF)."""

    camera_id: str
    frame_index: int
    timestamps: Timestamps
    #: H×W×3 uint8, BGR.
    colour_bgr: np.ndarray
    #: H×W uint16 in raw units; millimetres = raw × depth_scale_mm.
    depth_raw: np.ndarray
    depth_scale_mm: float
    #: H×W uint8 or uint16; ``ir_full_scale`` is the brightest value the sensor reports.
    ir: np.ndarray
    ir_full_scale: int
    colour_intrinsics: Intrinsics
    depth_intrinsics: Intrinsics
    #: Transform from the depth sensor's frame to the colour sensor's frame.
    depth_to_colour: Extrinsics
    depth_geometry: Geometry = Geometry.DEPTH_SENSOR
    ir_geometry: Geometry = Geometry.DEPTH_SENSOR
    #: Simulator (and recordings of it) only.
    truth: SceneTruth | None = None

    def depth_mm(self) -> np.ndarray:
        """Depth in millimetres as float32 (0 stays 0)."""
        return self.depth_raw.astype(np.float32) * np.float32(self.depth_scale_mm)

    @property
    def depth_is_colour_aligned(self) -> bool:
        return self.depth_geometry is Geometry.COLOUR

    def validate(self) -> None:
        """Raise ValueError naming the first field that breaks the contract."""
        c = self.colour_bgr
        if not (isinstance(c, np.ndarray) and c.dtype == np.uint8 and c.ndim == 3 and c.shape[2] == 3):
            raise ValueError(f"colour_bgr must be H×W×3 uint8, got {_describe(c)}")
        if c.shape[:2] != self.colour_intrinsics.shape:
            raise ValueError(
                f"colour_bgr is {c.shape[:2]} but colour_intrinsics say {self.colour_intrinsics.shape}"
            )
        d = self.depth_raw
        if not (isinstance(d, np.ndarray) and d.dtype == np.uint16 and d.ndim == 2):
            raise ValueError(f"depth_raw must be H×W uint16, got {_describe(d)}")
        depth_shape = (
            self.colour_intrinsics.shape if self.depth_is_colour_aligned else self.depth_intrinsics.shape
        )
        if d.shape != depth_shape:
            raise ValueError(f"depth_raw is {d.shape} but its geometry says {depth_shape}")
        if not self.depth_scale_mm > 0:
            raise ValueError(f"depth_scale_mm must be positive, got {self.depth_scale_mm}")
        ir = self.ir
        if not (isinstance(ir, np.ndarray) and ir.dtype in (np.uint8, np.uint16) and ir.ndim == 2):
            raise ValueError(f"ir must be H×W uint8 or uint16, got {_describe(ir)}")
        if not 0 < self.ir_full_scale <= np.iinfo(ir.dtype).max:
            raise ValueError(f"ir_full_scale {self.ir_full_scale} does not fit ir's dtype {ir.dtype}")


def _describe(a: object) -> str:
    if isinstance(a, np.ndarray):
        return f"{a.dtype} array of shape {a.shape}"
    return type(a).__name__
