"""What is in front of the simulated camera: faces (live or attacks), lighting, room.

Presentations follow the paper's acquisition (section III-D): live subjects at 0.4–1.2 m with
head swings in yaw, pitch and roll, and four attacks — colour print, black-and-white print,
electronic screen replay and 3D paper mask — under two lighting conditions.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass


class Presentation(str, enum.Enum):
    """What is shown to the camera; the values are FaceTruth.presentation strings."""

    LIVE = "live"
    PRINT_COLOUR = "print_colour"
    PRINT_BW = "print_bw"
    SCREEN = "screen"
    MASK_3D = "mask_3d"

    @classmethod
    def parse(cls, value: object) -> Presentation:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(p.value for p in cls)
            raise ValueError(f"presentation {value!r} is unknown; choose one of: {allowed}") from None

    @property
    def is_flat(self) -> bool:
        return self in (Presentation.PRINT_COLOUR, Presentation.PRINT_BW, Presentation.SCREEN)


class Lighting(str, enum.Enum):
    """Room lighting: 'low' darkens the colour stream; the IR illuminator is unaffected."""

    NORMAL = "normal"
    LOW = "low"

    @classmethod
    def parse(cls, value: object) -> Lighting:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(v.value for v in cls)
            raise ValueError(f"lighting {value!r} is unknown; choose one of: {allowed}") from None


MAX_POSE_DEG = 45.0


@dataclass(frozen=True)
class FaceSpec:
    """One presented face.

    ``distance_mm`` is the depth (Z in the colour camera's frame) of the face's nose tip — for
    an attack, of the nose tip of the face it shows. ``position`` is where that nose tip
    appears, as fractions (x, y) of the colour image's width and height. Angles are the
    head's (or the sheet's, screen's, mask's) rotation away from facing the camera:
    yaw about the vertical axis, pitch about the horizontal, roll about the line of sight.
    ``bend_mm`` bends a print into a cylinder: the depth of its arc across the sheet's width.
    """

    presentation: Presentation = Presentation.LIVE
    identity: int = 0
    distance_mm: float = 600.0
    position: tuple[float, float] = (0.5, 0.45)
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    bend_mm: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "presentation", Presentation.parse(self.presentation))
        for name in ("yaw_deg", "pitch_deg", "roll_deg"):
            angle = getattr(self, name)
            if not (math.isfinite(angle) and abs(angle) <= MAX_POSE_DEG):
                raise ValueError(
                    f"{name} {angle!r} is outside ±{MAX_POSE_DEG:g}°; the simulator renders poses up to that"
                )
        if not (math.isfinite(self.distance_mm) and self.distance_mm > 0):
            raise ValueError(f"distance_mm must be a positive number of millimetres, got {self.distance_mm!r}")
        if len(self.position) != 2 or not all(-0.5 <= p <= 1.5 for p in self.position):
            raise ValueError(
                f"position {self.position!r} must be (x, y) fractions of the colour image, each in -0.5…1.5"
            )
        if not 0.0 <= self.bend_mm <= 60.0:
            raise ValueError(f"bend_mm {self.bend_mm!r} must be within 0…60 mm (0 = flat sheet)")
        if self.bend_mm and self.presentation not in (Presentation.PRINT_COLOUR, Presentation.PRINT_BW):
            raise ValueError(f"bend_mm applies to prints only, not to {self.presentation.value}")


@dataclass(frozen=True)
class Scene:
    """Everything the renderer needs for one frame besides the camera."""

    faces: tuple[FaceSpec, ...] = ()
    lighting: Lighting = Lighting.NORMAL
    #: Selects the room (wall colour, furniture) behind the subjects.
    background_seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "faces", tuple(self.faces))
        object.__setattr__(self, "lighting", Lighting.parse(self.lighting))
        for face in self.faces:
            if not isinstance(face, FaceSpec):
                raise ValueError(f"Scene.faces holds FaceSpec values, got {type(face).__name__}")
