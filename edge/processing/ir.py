"""IR quantisation: uniform from the sensor's full scale to 8 bits (Section III-F).

The paper follows CASIA-SURF: near-infrared values are spread evenly over the sensor's range,
so a uniform quantisation keeps them. The full scale is the sensor's, not the frame's
maximum, so a dark scene stays dark (the brightness of an IR image carries the illuminator's
1/d² fall-off, which tells skin from a screen). SR300 Y8 (full scale 255) passes unchanged;
DCAM710 Gray16 (full scale ≈ 3840) is scaled by 255/3840.
"""

from __future__ import annotations

import numpy as np


#: The largest value of each IR dtype (np.iinfo costs microseconds, and this runs per face).
_LARGEST = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}


def quantise_ir(ir: np.ndarray, full_scale: int, copy: bool = True) -> np.ndarray:
    """level = round(ir · 255 / full_scale), saturating at 255; uint8, same shape.

    8-bit IR at full scale 255 is its own level: returned as a copy, or as it is when
    ``copy`` is False (for callers that only read it)."""
    if not (isinstance(ir, np.ndarray) and ir.dtype in _LARGEST):
        raise ValueError(f"ir must be a uint8 or uint16 array, got {ir!r:.60}")
    largest = _LARGEST[ir.dtype]
    if not 0 < full_scale <= largest:
        raise ValueError(f"ir full_scale must be in 1..{largest} for {ir.dtype}, got {full_scale}")
    if ir.dtype == np.uint8 and full_scale == 255:
        return ir.copy() if copy else ir
    scaled = np.rint(ir.astype(np.float32) * np.float32(255.0 / full_scale))
    return np.minimum(scaled, 255.0).astype(np.uint8)
