"""Helpers for the simulator's tests: an independent depth→colour registration and YuNet.

The registration here is a reference written from the camera models' definitions with OpenCV
(``cv2.projectPoints`` / ``cv2.undistortPoints``), not the simulator's own optics, so that a
geometry error in the renderer cannot cancel out.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from camera_plugins.sim.render import SimRenderer
from edge.detection.weights import YUNET, verified_path
from edge.frames import DistortionModel, FrameSet, Intrinsics


@functools.lru_cache(maxsize=8)
def renderer(camera: str = "sr300", resolution: str = "640x480", seed: int = 0) -> SimRenderer:
    """Renderers are deterministic and reusable; building one costs ~1 s, so tests share them."""
    return SimRenderer(camera, resolution, seed)


def depth_pixel_rays(intrinsics: Intrinsics, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Ideal normalised (x, y) of depth pixels, by the lens model's definition."""
    k = intrinsics.camera_matrix()
    coeffs = intrinsics.distortion_vector()
    pixels = np.column_stack([u, v]).astype(np.float64).reshape(-1, 1, 2)
    if intrinsics.model is DistortionModel.INVERSE_BROWN_CONRADY:
        # librealsense: the Brown-Conrady polynomial applied to the *distorted* normalised point.
        normalised = cv2.undistortPoints(pixels, k, None).reshape(-1, 2)
        pts = np.column_stack([normalised, np.ones(len(normalised))])
        ideal, _ = cv2.projectPoints(pts, np.zeros(3), np.zeros(3), np.eye(3), coeffs)
        return ideal.reshape(-1, 2)
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-12)
    return cv2.undistortPoints(pixels, k, coeffs, criteria=criteria).reshape(-1, 2)


@dataclass
class Registered:
    """Valid depth pixels carried into the colour image."""

    depth_uv: np.ndarray  # N×2 depth-image pixels
    colour_uv: np.ndarray  # N×2 colour-image pixels
    colour_z_mm: np.ndarray  # N depths in the colour camera's frame
    ir: np.ndarray  # N IR values of those depth pixels


def register(fs: FrameSet) -> Registered:
    depth = fs.depth_mm()
    v, u = np.nonzero(depth > 0)
    z = depth[v, u].astype(np.float64)
    rays = depth_pixel_rays(fs.depth_intrinsics, u, v)
    points = np.column_stack([rays * z[:, None], z])
    in_colour = fs.depth_to_colour.apply(points)
    c = fs.colour_intrinsics
    projected, _ = cv2.projectPoints(in_colour, np.zeros(3), np.zeros(3), c.camera_matrix(), c.distortion_vector())
    return Registered(np.column_stack([u, v]), projected.reshape(-1, 2), in_colour[:, 2], fs.ir[v, u])


def near(reg: Registered, point_uv, radius_px: float) -> np.ndarray:
    """Mask of registered points within radius of a colour pixel."""
    return np.hypot(*(reg.colour_uv - np.asarray(point_uv)).T) <= radius_px


def in_box(reg: Registered, box_xywh, shrink: float = 0.0) -> np.ndarray:
    x, y, w, h = box_xywh
    x, y, w, h = x + shrink * w, y + shrink * h, w * (1 - 2 * shrink), h * (1 - 2 * shrink)
    u, v = reg.colour_uv.T
    return (u >= x) & (u <= x + w) & (v >= y) & (v <= y + h)


def yunet(width: int, height: int) -> cv2.FaceDetectorYN:
    return cv2.FaceDetectorYN.create(str(verified_path(YUNET)), "", (width, height), score_threshold=0.6)


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / (aw * ah + bw * bh - inter)
