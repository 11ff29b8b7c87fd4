"""The paper's degradation (Section V-A2): clear 16×16 target, 8×8 input blurred with k 3, σ 1.5.

Used by the CASIA-SURF and folder readers, which start from 8-bit face crops on disk. It does
what step 4 of ``edge.processing.spec`` prescribes for the daemon (``face_input.prepare_face``):
8-bit channels area-resized to the target size, that area-resized to the input size and
Gaussian-blurred (OpenCV's default border), both divided by 255 — so faces read from disk and
faces prepared by the daemon go through the same arithmetic. ``from_preprocess`` takes the
sizes and blur from a ``PreprocessSpec.to_dict()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from edge.processing.area_resize import area_resize


@dataclass(frozen=True)
class Degradation:
    input_size_px: int = 8
    target_size_px: int = 16
    blur_kernel_px: int = 3
    blur_sigma_px: float = 1.5

    @classmethod
    def from_preprocess(cls, preprocess: dict[str, Any]) -> "Degradation":
        if preprocess.get("normalisation", "uint8_over_255") != "uint8_over_255":
            raise ValueError(f"preprocess normalisation {preprocess['normalisation']!r} is not one the readers implement (uint8_over_255)")
        return cls(**{k: preprocess[k] for k in ("input_size_px", "target_size_px", "blur_kernel_px", "blur_sigma_px") if k in preprocess})

    def apply(self, face_levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """face H×W×C uint8 (any size ≥ the target) → (input C×8×8, target C×16×16) float32 in [0, 1]."""
        if face_levels.dtype != np.uint8:
            raise ValueError(f"face has dtype {face_levels.dtype}: the degradation works on 8-bit levels (uint8)")
        levels = np.atleast_3d(face_levels)
        # Colour (3) and depth+IR (2) resized and blurred as two images, as the daemon's processing
        # does: OpenCV's 8-bit paths take at most 4 channels and round differently per channel count.
        groups = [levels[..., :3], levels[..., 3:]] if levels.shape[2] == 5 else [levels[..., i : i + 1] for i in range(levels.shape[2])]
        k = self.blur_kernel_px
        # The daemon's area resize (OpenCV's INTER_AREA, bit for bit, faster): one function for both.
        area = lambda image, size: np.atleast_3d(area_resize(image, size))
        targets = [area(np.ascontiguousarray(g), self.target_size_px) for g in groups]
        degraded = [np.atleast_3d(cv2.GaussianBlur(area(t, self.input_size_px), (k, k), self.blur_sigma_px)) for t in targets]
        target, degraded = np.dstack(targets).transpose(2, 0, 1), np.dstack(degraded).transpose(2, 0, 1)
        scale = np.float32(1 / 255)
        return degraded.astype(np.float32) * scale, target.astype(np.float32) * scale
