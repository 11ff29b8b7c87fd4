"""Load one face's three modality images from disk and degrade them into model arrays."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from engines.data.degrade import Degradation


class DatasetError(ValueError):
    """A dataset on disk that cannot be read as it is (names the file or line and the fix)."""


def _read(path: Path, where: str) -> np.ndarray:
    if not path.is_file():
        raise DatasetError(f"{where}: file {path} not found; fix the path or remove the sample")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise DatasetError(f"{where}: {path} is not an image OpenCV can decode")
    if image.dtype != np.uint8:
        raise DatasetError(f"{where}: {path} is {image.dtype}; the readers expect 8-bit images (depth/IR already quantised)")
    return image


def _single_channel(image: np.ndarray) -> np.ndarray:
    # CASIA-SURF stores depth and IR as 3-channel JPEGs with equal channels: keep one.
    return image if image.ndim == 2 else image[:, :, 0]


def load_face(rgb: Path, depth: Path, ir: Path, degradation: Degradation, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (input 5×8×8, target 5×16×16) float32 in [0, 1], channels r, g, b, depth, ir."""
    colour, depth_image, ir_image = _read(rgb, where), _read(depth, where), _read(ir, where)
    if colour.ndim != 3 or colour.shape[2] != 3:
        raise DatasetError(f"{where}: colour image {rgb} has shape {colour.shape}; expected H×W×3")
    sizes = {str(p): img.shape[:2] for p, img in ((rgb, colour), (depth, depth_image), (ir, ir_image))}
    if len(set(sizes.values())) != 1:
        raise DatasetError(f"{where}: modality images differ in size {sizes}; they must be aligned crops of one face")
    height, width = colour.shape[:2]
    if min(height, width) < degradation.target_size_px:
        raise DatasetError(
            f"{where}: images are {width}×{height} px, smaller than the {degradation.target_size_px}×"
            f"{degradation.target_size_px} super-resolution target; use face crops of at least that size"
        )
    stacked = np.dstack([cv2.cvtColor(colour, cv2.COLOR_BGR2RGB), _single_channel(depth_image), _single_channel(ir_image)])
    return degradation.apply(np.ascontiguousarray(stacked))
