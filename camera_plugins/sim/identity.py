"""A randomisable human head: relief (height map) and appearance (albedo in colour and near-IR).

The head is a height field in a face-aligned plane: ``x`` to the image right, ``y`` down, both
in millimetres from the nose tip, and ``depth_mm`` how far behind the nose-tip plane the skin
is. Proportions follow adult anthropometry (inter-pupil ~63 mm, nose tip to chin ~70 mm, nose
tip 15–30 mm in front of the cheeks), varied per identity: face shape, nose, skin tone, hair,
glasses. Everything is built once per identity and cached.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from camera_plugins.sim.texture import TexturedHeightField, gaussian, noise_field, smoothstep

#: Texel size of head textures: 0.5 mm keeps the 1080p colour stream sharp at 0.4 m.
HEAD_TEXEL_MM = 0.5
HEAD_X_RANGE_MM = (-100.0, 100.0)
HEAD_Y_RANGE_MM = (-150.0, 130.0)

# Skin tones (linear-ish BGR reflectance) from light to dark; NIR reflectance of skin varies
# far less with melanin than visible reflectance does.
_SKIN_BGR = np.array([
    (0.62, 0.70, 0.86), (0.52, 0.62, 0.80), (0.42, 0.54, 0.74), (0.33, 0.45, 0.64),
    (0.24, 0.34, 0.50), (0.16, 0.23, 0.36),
])
_SKIN_NIR = np.array([0.60, 0.58, 0.56, 0.53, 0.49, 0.45])
_HAIR_BGR = np.array([(0.05, 0.05, 0.06), (0.07, 0.10, 0.16), (0.12, 0.20, 0.32), (0.30, 0.52, 0.70),
                      (0.55, 0.56, 0.58)])
_HAIR_NIR = np.array([0.18, 0.24, 0.32, 0.50, 0.55])
_IRIS_BGR = np.array([(0.06, 0.12, 0.22), (0.30, 0.22, 0.10), (0.18, 0.28, 0.22)])


@dataclass(frozen=True)
class FaceShape:
    """The numbers that make one identity's head (millimetres)."""

    head_half_width_mm: float
    chin_y_mm: float
    nose_height_mm: float
    nose_width_mm: float
    eye_spacing_mm: float
    eye_y_mm: float
    mouth_y_mm: float
    mouth_half_width_mm: float
    skin_index: int
    hair_index: int
    iris_index: int
    hair_style: str  # "short", "long", "bald"
    glasses: bool
    clothing_bgr: tuple[float, float, float]

    @property
    def skin_bgr(self) -> np.ndarray:
        return _SKIN_BGR[self.skin_index]

    @property
    def skin_nir(self) -> float:
        return float(_SKIN_NIR[self.skin_index])

    @classmethod
    def from_identity(cls, identity: int) -> FaceShape:
        rng = np.random.default_rng([0x5EED, int(identity) & 0xFFFFFFFF])
        return cls(
            head_half_width_mm=float(rng.uniform(72, 82)),
            chin_y_mm=float(rng.uniform(64, 76)),
            nose_height_mm=float(rng.uniform(17, 26)),
            nose_width_mm=float(rng.uniform(9, 12)),
            eye_spacing_mm=float(rng.uniform(58, 68)),
            eye_y_mm=float(rng.uniform(-44, -38)),
            mouth_y_mm=float(rng.uniform(23, 28)),
            mouth_half_width_mm=float(rng.uniform(21, 26)),
            skin_index=int(rng.integers(len(_SKIN_BGR))),
            hair_index=int(rng.integers(len(_HAIR_BGR))),
            iris_index=int(rng.integers(len(_IRIS_BGR))),
            hair_style=str(rng.choice(["short", "short", "long", "bald"])),
            glasses=bool(rng.random() < 0.3),
            clothing_bgr=tuple(float(v) for v in rng.uniform(0.08, 0.7, 3)),
        )


@dataclass(frozen=True)
class Head:
    """One identity's head: its surface, its landmarks (local mm) and its shape numbers."""

    identity: int
    shape: FaceShape
    surface: TexturedHeightField
    #: Five landmarks in local (x, y) mm: image-left eye, image-right eye, nose tip, mouth corners.
    landmarks_xy_mm: np.ndarray
    #: Points on the face outline (local x, y mm) whose projection bounds the detector box.
    box_outline_xy_mm: np.ndarray


def _grid() -> tuple[np.ndarray, np.ndarray]:
    x = np.arange(HEAD_X_RANGE_MM[0], HEAD_X_RANGE_MM[1], HEAD_TEXEL_MM, dtype=np.float32)
    y = np.arange(HEAD_Y_RANGE_MM[0], HEAD_Y_RANGE_MM[1], HEAD_TEXEL_MM, dtype=np.float32)
    return np.meshgrid(x, y)


def _head_depth_and_coverage(s: FaceShape, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depth behind the nose-tip plane, and where the head is (egg outline narrowing to the jaw)."""
    top_y = HEAD_Y_RANGE_MM[0] + 8.0  # the crown, just inside the texture
    centre_y = (top_y + s.chin_y_mm) / 2
    half_height = (s.chin_y_mm - top_y) / 2
    jaw = 1.0 - 0.30 * np.clip(y / s.chin_y_mm, 0, 1) ** 2
    half_width = s.head_half_width_mm * jaw
    q = np.abs(x / half_width) ** 3 + np.abs((y - centre_y) / half_height) ** 2.5
    coverage = (q < 1.0).astype(np.float32)
    depth = 90.0 * (1.0 - np.sqrt(np.clip(1.0 - q, 0, 1)))
    # Nose: a ridge from the nasion to the tip, wider at the tip, with alar wings.
    ridge_t = np.clip((y - (s.eye_y_mm - 2)) / -(s.eye_y_mm - 2), 0, 1)
    profile = np.where(y <= 0, 6.0 + (s.nose_height_mm - 6.0) * ridge_t ** 1.6,
                       s.nose_height_mm * np.exp(-(y / 6.5) ** 2))
    profile = np.where(y < s.eye_y_mm - 2, 6.0 * np.exp(-((y - s.eye_y_mm + 2) / 8) ** 2), profile)
    sigma = 0.35 * s.nose_width_mm + 0.45 * s.nose_width_mm * ridge_t
    depth -= profile * np.exp(-0.5 * (x / sigma) ** 2)
    for side in (-1, 1):
        ex = side * s.eye_spacing_mm / 2
        depth -= gaussian(x, y, side * 1.4 * s.nose_width_mm, 3.0, 5.0, 4.5, 4.0)  # alar wing
        depth += gaussian(x, y, ex, s.eye_y_mm, 15.0, 9.0, 10.0)  # eye socket
        depth -= gaussian(x, y, ex, s.eye_y_mm, 6.0, 4.5, 3.5)  # eyeball under the lids
        depth -= gaussian(x, y, side * 27.0, s.eye_y_mm - 15, 16.0, 5.0, 4.0)  # brow ridge
        depth -= gaussian(x, y, side * 43.0, -16.0, 13.0, 11.0, 4.0)  # cheekbone
    depth -= gaussian(x, y, 0.0, s.mouth_y_mm + 2, 26.0, 15.0, 9.0)  # maxilla and jaw under the lips
    depth -= gaussian(x, y, 0.0, s.mouth_y_mm - 5, 14.0, 3.5, 3.0)  # upper lip
    depth -= gaussian(x, y, 0.0, s.mouth_y_mm + 5, 12.0, 3.8, 3.5)  # lower lip
    depth += gaussian(x, y, 0.0, s.mouth_y_mm, 14.0, 1.1, 1.5)  # lips' parting
    depth -= gaussian(x, y, 0.0, s.chin_y_mm - 12, 15.0, 9.0, 6.0)  # chin
    if s.hair_style != "bald":
        hairline = -82.0 + 14.0 * (x / 60.0) ** 2
        on_hair = smoothstep(3.0, -3.0, y - hairline)
        on_hair = np.maximum(on_hair, smoothstep(s.head_half_width_mm - 14, s.head_half_width_mm - 8, np.abs(x))
                             * smoothstep(10.0, 0.0, y))
        depth -= 7.0 * on_hair
    if s.hair_style != "long":
        # Ears stand out at the sides, from the brows to the base of the nose, well behind the face.
        ear = _ear_shape(s, x, y)
        depth = np.where((ear > 0) & (coverage == 0), 78.0 + 6.0 * (1.0 - ear), depth)
        coverage = np.maximum(coverage, (ear > 0).astype(np.float32))
    if s.hair_style == "long":
        # Hair falls behind the jaw at the sides, down to the shoulders.
        side_hair = (np.abs(x) > s.head_half_width_mm * 0.8) & (np.abs(x) < s.head_half_width_mm + 14) & \
            (y > -40) & (y < 120)
        # It curves back around the head: deeper towards the outside.
        across = np.clip((np.abs(x) - 0.8 * s.head_half_width_mm) / (0.2 * s.head_half_width_mm + 14.0), 0, 1)
        depth = np.where(side_hair & (coverage == 0), 45.0 + 45.0 * across ** 2 + 0.1 * np.abs(y), depth)
        coverage = np.maximum(coverage, side_hair.astype(np.float32))
    return depth.astype(np.float32), coverage


def _ear_shape(s: FaceShape, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """0 off the ears, rising to 1 at their middle (an ellipse 18 × 56 mm on each side)."""
    u = (np.abs(x) - (s.head_half_width_mm - 2.0)) / 9.0
    v = (y - (s.eye_y_mm + 24.0)) / 28.0
    return np.clip(1.0 - (u * u + v * v), 0.0, 1.0)


def _paint(s: FaceShape, x: np.ndarray, y: np.ndarray, depth: np.ndarray, identity: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """Visible albedo (BGR, 0–1) and near-IR reflectance of the skin, eyes, lips, brows, hair."""
    rng = np.random.default_rng([0xA1BE, int(identity) & 0xFFFFFFFF])
    skin = _SKIN_BGR[s.skin_index]
    mottle = 1.0 + 0.05 * noise_field(rng, x.shape, 12.0 / HEAD_TEXEL_MM)
    albedo = np.empty(x.shape + (3,), np.float32)
    albedo[:] = skin
    albedo *= mottle[..., None]
    nir = np.full(x.shape, _SKIN_NIR[s.skin_index], np.float32) * mottle

    def blend(weight: np.ndarray, bgr, nir_value: float) -> None:
        """Paint ``bgr`` / ``nir_value`` over the texture with this weight (only where it is > 0)."""
        w = np.clip(weight, 0, 1).astype(np.float32)
        rows = np.flatnonzero(w.max(axis=1) > 1e-3)
        cols = np.flatnonzero(w.max(axis=0) > 1e-3)
        if rows.size == 0:
            return
        box = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
        wb = w[box]
        colour = np.asarray(bgr, np.float32)
        colour = colour[box] if colour.ndim == 3 else colour
        albedo[box] += (colour - albedo[box]) * wb[..., None]
        nir[box] += (np.float32(nir_value) - nir[box]) * wb

    red = skin * np.array([0.85, 0.8, 1.1])
    for side in (-1, 1):
        blend(0.35 * gaussian(x, y, side * 40, -5, 14, 12, 1.0), red, _SKIN_NIR[s.skin_index])
    lips = skin * np.array([0.55, 0.5, 0.95])
    lip_shape = smoothstep(1.0, 0.0, ((x / s.mouth_half_width_mm) ** 2 + ((y - s.mouth_y_mm) / 7.0) ** 2))
    blend(0.9 * lip_shape, lips, 0.5)
    blend(smoothstep(1.0, 0.0, ((x / (s.mouth_half_width_mm - 1)) ** 2 + ((y - s.mouth_y_mm) / 1.0) ** 2)),
          skin * 0.25, 0.2)
    for side in (-1, 1):
        blend(0.9 * smoothstep(1.0, 0.3, ((x - side * 6.0) / 3.4) ** 2 + ((y - 6.0) / 2.0) ** 2), skin * 0.2, 0.15)
    hair = _HAIR_BGR[s.hair_index]
    hair_nir = _HAIR_NIR[s.hair_index]
    for side in (-1, 1):
        ex = side * s.eye_spacing_mm / 2
        u, v = (x - ex) / 14.0, (y - s.eye_y_mm) / 5.5
        blend(0.35 * smoothstep(2.5, 0.8, u ** 2 + (v / 1.6) ** 2), skin * 0.7, _SKIN_NIR[s.skin_index] * 0.9)
        sclera = smoothstep(1.0, 0.85, u ** 2 + v ** 2)
        blend(sclera, (0.78, 0.8, 0.82), 0.45)
        iris = smoothstep(1.0, 0.8, ((x - ex) ** 2 + (y - s.eye_y_mm) ** 2) / 5.6 ** 2) * sclera
        blend(iris, _IRIS_BGR[s.iris_index], 0.3)
        pupil = smoothstep(1.0, 0.7, ((x - ex) ** 2 + (y - s.eye_y_mm) ** 2) / 2.3 ** 2)
        blend(pupil, (0.02, 0.02, 0.02), 0.05)
        lid = smoothstep(1.3, 0.9, u ** 2 + (v + 0.35) ** 2 / 1.0) * (v < 0) * smoothstep(0.7, 1.0, u ** 2 + v ** 2)
        blend(lid, hair * 0.5, 0.15)
        arch = y - (s.eye_y_mm - 13.0 + 0.010 * (x - ex) ** 2 - 1.5 * side * (x - ex) / 14)
        brow = smoothstep(3.0, 1.5, np.abs(arch)) * smoothstep(24.0, 18.0, np.abs(x - ex + side * 3))
        blend(0.9 * brow, hair * 0.8, hair_nir)
    if s.hair_style != "bald":
        hairline = -82.0 + 14.0 * (x / 60.0) ** 2
        strands = 1.0 + 0.25 * noise_field(rng, x.shape, 1.2 / HEAD_TEXEL_MM, stretch_y=6.0)
        on_hair = smoothstep(2.0, -2.0, y - hairline)
        on_hair = np.maximum(on_hair, smoothstep(s.head_half_width_mm - 14, s.head_half_width_mm - 8, np.abs(x))
                             * smoothstep(10.0, 0.0, y))
        if s.hair_style == "long":
            on_hair = np.maximum(on_hair, (np.abs(x) > s.head_half_width_mm * 0.8).astype(np.float32)
                                 * (depth > 40) * (y > -40))
        blend(on_hair, hair * strands[..., None], hair_nir)
    if s.hair_style != "long":  # ears show over short hair at the temples
        ear = _ear_shape(s, x, y)
        blend(np.where(ear > 0, 0.7 + 0.3 * smoothstep(0.5, 0.8, ear), 0.0), skin * np.array([0.85, 0.85, 0.97]),
              _SKIN_NIR[s.skin_index] * 0.95)
    if s.glasses:
        frame = np.zeros(x.shape, np.float32)
        for side in (-1, 1):
            ex = side * s.eye_spacing_mm / 2
            r = np.maximum(np.abs((x - ex) / 23.0) ** 4 + np.abs((y - s.eye_y_mm) / 16.0) ** 4, 0)
            frame = np.maximum(frame, smoothstep(0.70, 0.82, r) * smoothstep(1.15, 1.0, r))
        bridge = (np.abs(x) < s.eye_spacing_mm / 2 - 20) & (np.abs(y - s.eye_y_mm + 6) < 1.5)
        frame = np.maximum(frame, bridge.astype(np.float32))
        blend(frame, (0.04, 0.04, 0.05), 0.08)
    # Ambient occlusion of creases (eye sockets, nostrils, lips' parting) darkens the colour.
    cavity = np.clip(depth - cv2.GaussianBlur(depth, (0, 0), 6.0 / HEAD_TEXEL_MM), 0, None)
    albedo *= np.exp(-cavity / 9.0)[..., None]
    return np.clip(albedo, 0, 1), np.clip(nir, 0, 1)


@functools.lru_cache(maxsize=64)
def head_for(identity: int) -> Head:
    """Build (once) the head of this identity."""
    s = FaceShape.from_identity(identity)
    x, y = _grid()
    depth, coverage = _head_depth_and_coverage(s, x, y)
    depth -= depth[coverage > 0].min()
    albedo, nir = _paint(s, x, y, depth, identity)
    surface = TexturedHeightField.build(
        depth_mm=depth, coverage=coverage, albedo_bgr=albedo, nir_reflectance=nir,
        origin_xy_mm=(HEAD_X_RANGE_MM[0], HEAD_Y_RANGE_MM[0]), texel_mm=HEAD_TEXEL_MM,
    )
    e = s.eye_spacing_mm / 2
    landmarks = np.array([(-e, s.eye_y_mm), (e, s.eye_y_mm), (0.0, 0.0),
                          (-s.mouth_half_width_mm, s.mouth_y_mm), (s.mouth_half_width_mm, s.mouth_y_mm)],
                         np.float64)
    outline = _box_outline(s)
    return Head(identity, s, surface, landmarks, outline)


def _box_outline(s: FaceShape) -> np.ndarray:
    """The region YuNet's box covers: from 55 mm above the eyes to 14 mm above the chin, 82 % of
    the head's width (fitted to YuNet's boxes on rendered faces; mean IoU ≈ 0.9, see tests)."""
    half_w = 0.82 * s.head_half_width_mm
    top = s.eye_y_mm - 55.0
    bottom = s.chin_y_mm - 14.0
    xs = np.linspace(-half_w, half_w, 7)
    return np.array([(xv, top) for xv in xs] + [(xv, bottom) for xv in xs * 0.6]
                    + [(-half_w, 0.0), (half_w, 0.0)], np.float64)
