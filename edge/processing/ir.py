"""IR quantisation: uniform from the sensor's full scale to 8 bits (Section III-F).

The paper follows CASIA-SURF: near-infrared values are spread evenly over the sensor's range,
so a uniform quantisation keeps them. The full scale is the sensor's, not the frame's
maximum, so a dark scene stays dark (the brightness of an IR image carries the illuminator's
1/d² fall-off, which tells skin from a screen). SR300 Y8 (full scale 255) passes unchanged;
DCAM710 Gray16 (full scale ≈ 3840) is scaled by 255/3840.
"""

from __future__ import annotations

import numpy as np


def quantise_ir(ir: np.ndarray, full_scale: int) -> np.ndarray:
    """level = round(ir · 255 / full_scale), saturating at 255; uint8, same shape."""
    if not (isinstance(ir, np.ndarray) and ir.dtype in (np.uint8, np.uint16)):
        raise ValueError(f"ir must be a uint8 or uint16 array, got {ir!r:.60}")
    if not 0 < full_scale <= np.iinfo(ir.dtype).max:
        raise ValueError(f"ir full_scale must be in 1..{np.iinfo(ir.dtype).max} for {ir.dtype}, got {full_scale}")
    if ir.dtype == np.uint8 and full_scale == 255:
        return ir.copy()
    scaled = np.rint(ir.astype(np.float32) * np.float32(255.0 / full_scale))
    return np.minimum(scaled, 255.0).astype(np.uint8)
