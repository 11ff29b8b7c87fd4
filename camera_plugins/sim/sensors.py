"""Sensor physics: how coded light and time of flight turn the true scene into raw frames.

The paper's Table 3 contrasts the two principles: structured/coded light is precise and sharp
but fragile to lighting and surfaces; ToF is robust to lighting but less precise. Here:

- *Coded light* (SR300): the projector sits ``illuminator_baseline_mm`` beside the IR camera,
  so surfaces it cannot see lie in shadow (no depth); triangulation noise grows with z²;
  pattern contrast is lost on dark surfaces, at grazing angles and on glossy ones (screens
  mirror the pattern away), and beyond range.
- *Time of flight* (DCAM710): phase noise falls with the returned amplitude (σ ∝ z/√amplitude),
  pixels straddling a depth edge mix two returns into "flying pixels" in between, and pixels
  whose amplitude is too low (or saturated) are invalid.

Noise comes from per-camera banks of precomputed fields, cropped at a random offset per frame,
so that a frame costs no random-number generation over the full image.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from camera_plugins.sim.camera_models import CameraModel

_BANK_MARGIN = 96


class NoiseBank:
    """A large precomputed noise field; each frame takes a view at a random offset."""

    def __init__(self, seed: int, shape: tuple[int, ...], uniform: bool = False) -> None:
        rng = np.random.default_rng([0x401CE, seed & 0xFFFFFFFF, int(uniform)])
        big = (shape[0] + _BANK_MARGIN, shape[1] + _BANK_MARGIN) + tuple(shape[2:])
        self.field = (rng.random(big, np.float32) if uniform else rng.standard_normal(big, np.float32))
        self.shape = shape

    def take(self, rng: np.random.Generator) -> np.ndarray:
        dy, dx = rng.integers(0, _BANK_MARGIN, 2)
        return self.field[dy:dy + self.shape[0], dx:dx + self.shape[1]]


@dataclass(frozen=True)
class DepthPhysics:
    """Tunable constants of both principles (defaults model the two cameras' behaviour)."""

    #: Coded light: depth noise at 1 m for a surface facing the camera (σ ∝ z²).
    coded_sigma_at_1m_mm: float = 1.6
    #: Coded light: smallest pattern contrast (returned NIR relative to full scale) that decodes.
    coded_min_signal: float = 0.035
    #: Coded light: steepest surface that still decodes (cosine between normal and ray).
    coded_min_cos: float = 0.22
    #: Coded light: share of a glossy surface that loses the pattern.
    coded_glossy_dropout: float = 0.85
    #: ToF: σ at 1 m for a return at full amplitude (σ ∝ z/√amplitude).
    tof_sigma_at_1m_mm: float = 4.0
    tof_min_amplitude: float = 0.025
    #: ToF: depth step (mm) across a pixel above which its return mixes two surfaces.
    tof_flying_edge_mm: float = 40.0
    #: Returned light above this (relative to full scale) saturates the sensor: no depth.
    saturation: float = 1.4


@dataclass
class DepthResponse:
    """What a depth sensor reports for each pixel, before its per-frame noise draw:
    measured = base + sigma·gauss + span·uniform (0 where there is no depth)."""

    base_mm: np.ndarray
    sigma_mm: np.ndarray
    #: Flying pixels (rows, columns, span): the mixed return lands anywhere across the span
    #: beyond base. Few pixels, so kept sparse.
    flying: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def draw(self, gauss: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        depth = self.sigma_mm * gauss
        depth += self.base_mm
        if self.flying is not None:
            rows, cols, span = self.flying
            depth[rows, cols] += span * uniform[rows, cols]
        return depth

    def in_raw_units(self, model: CameraModel) -> DepthResponse:
        """The same response in the camera's raw units, ready to truncate to uint16: rounding
        offset included, and no-depth pixels at the camera's invalid code (with no noise)."""
        per_mm = np.float32(1.0 / model.depth_scale_mm)
        valid = self.base_mm > 0
        base = np.where(valid, self.base_mm * per_mm + np.float32(0.5), np.float32(model.invalid_depth_code))
        flying = None if self.flying is None else (self.flying[0], self.flying[1], self.flying[2] * per_mm)
        return DepthResponse(base.astype(np.float32), (self.sigma_mm * per_mm).astype(np.float32), flying)


def coded_light_response(z_mm: np.ndarray, signal: np.ndarray, cos_view: np.ndarray, pattern_lost: np.ndarray,
                         ray_x: np.ndarray, model: CameraModel, physics: DepthPhysics = DepthPhysics()
                         ) -> DepthResponse:
    """An SR300-like coded-light sensor. ``pattern_lost`` marks pixels whose pattern a glossy
    surface mirrored away this frame."""
    low, high = model.range_mm
    cos = np.maximum(cos_view, np.float32(0.05))
    z_m = z_mm * np.float32(0.001)
    valid = (z_mm >= low) & (z_mm <= high) & (signal >= physics.coded_min_signal) & \
        (signal <= physics.saturation) & (cos_view >= physics.coded_min_cos)
    valid &= ~pattern_lost
    valid &= ~projector_shadow(z_mm, ray_x, model.illuminator_baseline_mm)
    sigma = np.float32(physics.coded_sigma_at_1m_mm) * z_m * z_m / np.sqrt(cos)
    zero = np.float32(0)
    return DepthResponse(np.where(valid, z_mm, zero), np.where(valid, sigma, zero))


def projector_shadow(z_mm: np.ndarray, ray_x: np.ndarray, baseline_mm: float) -> np.ndarray:
    """Pixels the projector (at +baseline along x) cannot light: occluded along each row.

    A point's column in the projector's view is x/z − b/z. Lit points keep that column
    increasing left to right; a pixel whose projector column is beyond one of a pixel to its
    right is hidden from the projector by that nearer surface."""
    if baseline_mm == 0:
        return np.zeros(z_mm.shape, bool)
    projector_x = ray_x - np.float32(baseline_mm) / np.maximum(z_mm, 1.0)
    min_to_right = np.minimum.accumulate(projector_x[:, ::-1], axis=1)[:, ::-1]
    min_after = np.empty_like(min_to_right)
    min_after[:, :-1] = min_to_right[:, 1:]
    min_after[:, -1] = np.inf
    return projector_x > min_after + np.float32(1e-4)


def time_of_flight_response(z_mm: np.ndarray, amplitude: np.ndarray, model: CameraModel,
                            physics: DepthPhysics = DepthPhysics()) -> DepthResponse:
    """A DCAM710-like time-of-flight sensor."""
    low, high = model.range_mm
    amp = np.maximum(amplitude, np.float32(1e-3))
    sigma = np.float32(physics.tof_sigma_at_1m_mm) * (z_mm * np.float32(0.001)) / np.sqrt(amp)
    # Flying pixels: where the 3×3 footprint spans a depth edge the two returns' phases mix.
    kernel = np.ones((3, 3), np.uint8)
    near = cv2.erode(z_mm, kernel)
    far = cv2.dilate(z_mm, kernel)
    span = far - near
    edge = span > physics.tof_flying_edge_mm
    valid = (z_mm >= low) & (z_mm <= high) & (amplitude >= physics.tof_min_amplitude) & \
        (amplitude <= physics.saturation)
    zero = np.float32(0)
    base = np.where(edge, near, z_mm)
    rows, cols = np.nonzero(valid & edge)
    return DepthResponse(np.where(valid, base, zero), np.where(valid & ~edge, sigma, zero),
                         (rows, cols, span[rows, cols]))


def encode_depth(raw: np.ndarray) -> np.ndarray:
    """uint16 raw depth from a draw of a response in raw units (see ``in_raw_units``)."""
    return raw.astype(np.uint16)


def ir_response(radiance: np.ndarray, model: CameraModel) -> tuple[np.ndarray, np.ndarray]:
    """Mean IR level in the stream's units and its noise σ (read noise plus shot noise)."""
    scale = np.float32(model.ir_full_scale)
    level = radiance * scale
    return level, np.float32(0.004) * scale + np.float32(0.3) * np.sqrt(np.maximum(level, 0))


def encode_ir(level: np.ndarray, model: CameraModel) -> np.ndarray:
    """IR image in the camera's dtype, clipped at full scale (``level`` already carries its noise)."""
    np.clip(level, 0, np.float32(model.ir_full_scale), out=level)
    return level.astype(model.ir_dtype)


def encode_colour(radiance_bgr: np.ndarray, exposure: float) -> np.ndarray:
    """8-bit BGR: exposure and saturation (albedos are authored display-referred, so no gamma);
    noise is added later, in 8 bits."""
    return cv2.convertScaleAbs(radiance_bgr, alpha=255.0 * exposure)


class ColourNoise:
    """Sensor noise added to 8-bit frames with saturating integer arithmetic (cheap per frame)."""

    def __init__(self, seed: int, shape: tuple[int, ...], sigma_dn: float) -> None:
        bank = NoiseBank(seed, shape)
        values = np.rint(bank.field * np.float32(sigma_dn))
        self._up = np.clip(values, 0, 255).astype(np.uint8)
        self._down = np.clip(-values, 0, 255).astype(np.uint8)
        self.shape = shape

    def apply(self, image: np.ndarray, rng: np.random.Generator) -> None:
        dy, dx = rng.integers(0, _BANK_MARGIN, 2)
        h, w = self.shape[:2]
        cv2.add(image, self._up[dy:dy + h, dx:dx + w], dst=image)
        cv2.subtract(image, self._down[dy:dy + h, dx:dx + w], dst=image)
