"""The paper's degradation (Section V-A2): clear 16×16 target, 8×8 input blurred with k 3, σ 1.5.

Used by the CASIA-SURF and folder readers, which start from face crops on disk. Its parameters
come from the processing stage's ``PreprocessSpec`` (``from_preprocess``) so that images read
from disk and faces prepared by the daemon are resized and blurred alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np


@dataclass(frozen=True)
class Degradation:
    input_size_px: int = 8
    target_size_px: int = 16
    blur_kernel_px: int = 3
    blur_sigma_px: float = 1.5

    @classmethod
    def from_preprocess(cls, preprocess: dict[str, Any]) -> "Degradation":
        """Take the sizes and blur from a ``PreprocessSpec.to_dict()``."""
        return cls(**{k: preprocess[k] for k in ("input_size_px", "target_size_px", "blur_kernel_px", "blur_sigma_px") if k in preprocess})

    def apply(self, face: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """face H×W×C float32 (any size ≥ the target) → (input C×8×8, target C×16×16).

        Area interpolation for both reductions (it averages, as a camera pixel does); the input
        is resized first and blurred after, in the order V-A2 states.
        """
        target = cv2.resize(face, (self.target_size_px,) * 2, interpolation=cv2.INTER_AREA)
        small = cv2.resize(target, (self.input_size_px,) * 2, interpolation=cv2.INTER_AREA)
        k = self.blur_kernel_px
        blurred = cv2.GaussianBlur(small, (k, k), self.blur_sigma_px, borderType=cv2.BORDER_REFLECT)
        as_chw = lambda image: np.ascontiguousarray(np.atleast_3d(image).transpose(2, 0, 1), dtype=np.float32)
        return as_chw(blurred), as_chw(target)
