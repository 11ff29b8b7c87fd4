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


def coded_light_depth(z_mm: np.ndarray, signal: np.ndarray, cos_view: np.ndarray, glossy: np.ndarray,
                      ray_x: np.ndarray, model: CameraModel, gauss: np.ndarray, uniform: np.ndarray,
                      physics: DepthPhysics = DepthPhysics()) -> np.ndarray:
    """Measured depth in mm (0 = no depth) of an SR300-like coded-light sensor."""
    low, high = model.range_mm
    cos = np.maximum(cos_view, 0.05)
    z_m = z_mm * np.float32(0.001)
    sigma = physics.coded_sigma_at_1m_mm * z_m * z_m / np.sqrt(cos)
    depth = z_mm + sigma * gauss
    valid = (z_mm >= low) & (z_mm <= high) & (signal >= physics.coded_min_signal) & \
        (signal <= physics.saturation) & (cos_view >= physics.coded_min_cos)
    valid &= ~(glossy & (uniform < physics.coded_glossy_dropout))
    valid &= ~projector_shadow(z_mm, ray_x, model.illuminator_baseline_mm)
    return np.where(valid, depth, np.float32(0)).astype(np.float32)


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


def time_of_flight_depth(z_mm: np.ndarray, amplitude: np.ndarray, model: CameraModel, gauss: np.ndarray,
                         uniform: np.ndarray, physics: DepthPhysics = DepthPhysics()) -> np.ndarray:
    """Measured depth in mm (0 = no depth) of a DCAM710-like time-of-flight sensor."""
    low, high = model.range_mm
    amp = np.maximum(amplitude, 1e-3)
    sigma = physics.tof_sigma_at_1m_mm * (z_mm * np.float32(0.001)) / np.sqrt(amp)
    depth = z_mm + sigma * gauss
    # Flying pixels: where the 3×3 footprint spans a depth edge the two returns' phases mix.
    kernel = np.ones((3, 3), np.uint8)
    near = cv2.erode(z_mm, kernel)
    far = cv2.dilate(z_mm, kernel)
    edge = (far - near) > physics.tof_flying_edge_mm
    depth = np.where(edge, near + uniform * (far - near), depth)
    valid = (depth >= low) & (depth <= high) & (amplitude >= physics.tof_min_amplitude) & \
        (amplitude <= physics.saturation)
    return np.where(valid, depth, np.float32(0)).astype(np.float32)


def encode_depth(depth_mm: np.ndarray, model: CameraModel) -> np.ndarray:
    """Raw depth as the camera sends it: units of ``depth_scale_mm``, invalid as the camera's code."""
    raw = np.rint(depth_mm * np.float32(1.0 / model.depth_scale_mm))
    raw = np.clip(raw, 0, 0xFFFE).astype(np.uint16)
    if model.invalid_depth_code:
        raw[depth_mm <= 0] = model.invalid_depth_code
    return raw


def encode_ir(radiance: np.ndarray, model: CameraModel, gauss: np.ndarray) -> np.ndarray:
    """IR image in the camera's dtype: shot-like noise, clipped at full scale."""
    scale = np.float32(model.ir_full_scale)
    value = radiance * scale + gauss * (np.float32(0.004) * scale + np.sqrt(np.maximum(radiance, 0) * scale) * 0.3)
    return np.clip(value, 0, scale).astype(model.ir_dtype)


def encode_colour(linear_bgr: np.ndarray, exposure: float, noise_dn: float, gauss: np.ndarray) -> np.ndarray:
    """8-bit BGR from linear radiance: exposure, sensor noise, display gamma."""
    value = np.sqrt(np.clip(linear_bgr * np.float32(exposure), 0, 1)) * np.float32(255.0)
    value += gauss * np.float32(noise_dn)
    return np.clip(value, 0, 255).astype(np.uint8)
