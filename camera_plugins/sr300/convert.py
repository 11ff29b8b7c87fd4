"""librealsense calibration → our frame model: intrinsics with their lens model, extrinsics in mm.

librealsense stores an extrinsic rotation column-major and its translation in metres; our
``Extrinsics`` is row-major in millimetres. The SR300's depth lens is inverse Brown-Conrady
(distorted → ideal), its colour stream has no distortion.
"""

from __future__ import annotations

import numpy as np

from camera_plugins.base import CameraUnsupported
from edge.frames import DistortionModel, Extrinsics, Intrinsics


def intrinsics_from_rs(rs, intrinsics) -> Intrinsics:
    """Our Intrinsics from an ``rs.intrinsics``."""
    models = {
        rs.distortion.none: DistortionModel.NONE,
        rs.distortion.brown_conrady: DistortionModel.BROWN_CONRADY,
        # librealsense's "modified" variant is the forward model OpenCV uses for these lenses.
        rs.distortion.modified_brown_conrady: DistortionModel.BROWN_CONRADY,
        rs.distortion.inverse_brown_conrady: DistortionModel.INVERSE_BROWN_CONRADY,
    }
    if intrinsics.model not in models:
        raise CameraUnsupported(f"sr300: lens model {intrinsics.model} is not one an SR300 reports")
    coeffs = tuple(float(c) for c in intrinsics.coeffs[:5])
    model = models[intrinsics.model]
    if model is DistortionModel.NONE or not any(coeffs):
        model, coeffs = DistortionModel.NONE, ()
    return Intrinsics(int(intrinsics.width), int(intrinsics.height), float(intrinsics.fx), float(intrinsics.fy),
                      float(intrinsics.ppx), float(intrinsics.ppy), model, coeffs)


def extrinsics_from_rs(extrinsics) -> Extrinsics:
    """Our Extrinsics (row-major, mm) from an ``rs.extrinsics`` (column-major, m)."""
    rotation = np.asarray(extrinsics.rotation, dtype=np.float64).reshape(3, 3).T
    return Extrinsics(tuple(float(v) for v in rotation.ravel()),
                      tuple(float(v) * 1000.0 for v in extrinsics.translation))
