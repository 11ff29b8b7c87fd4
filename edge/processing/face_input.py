"""One detected face → the model's input: the whole per-face path of ``spec.py``'s steps.

``prepare_face`` never raises for bad data inside a valid frame (holes, a face too far or
half outside the image): it returns ``NotEnoughData`` with the reason, which the decision
stage reports as the face's ``not_enough_data`` state. It raises ValueError only for a
caller's or a plugin's mistake (a malformed box, a FrameSet that breaks its contract).

The model's input tensor is named "faces": N×C×H×W float32, channels in ``spec.channels``
order (r, g, b, depth, ir by default), values ``level / 255`` (``to_batch``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from edge.frames import FrameSet, Geometry
from edge.processing.area_resize import area_resize, area_resize_crop
from edge.processing.crop import clip_box, widen_box
from edge.processing.depth import DepthRange, DepthStatistics, depth_range
from edge.processing.ir import quantise_ir
from edge.processing.portrait import detector_statistics, portrait_levels
from edge.processing.registration import DepthRegistration
from edge.processing.spec import PreprocessSpec

#: Model input tensor name (the ONNX graph's input and the engine contract's).
INPUT_NAME = "faces"


@dataclass(frozen=True)
class FaceInput:
    """A face ready for the model: 8-bit channels in ``spec.channels`` order."""

    #: C×target×target uint8: the clear image, the super-resolution ground truth.
    target: np.ndarray
    #: C×input×input uint8: the degraded image the model sees.
    degraded: np.ndarray
    #: The 1.3× portrait box in colour pixels (x1, y1 exclusive; may extend past the image).
    crop_box_xyxy_px: tuple[int, int, int, int]
    depth: DepthStatistics
    depth_range: DepthRange


@dataclass(frozen=True)
class NotEnoughData:
    """The face cannot be judged from this frame; ``reason`` says why, for logs and clients."""

    reason: str
    valid_depth_fraction: float = 0.0


def prepare_face(
    frameset: FrameSet,
    face_box_xyxy_colour_px,
    spec: PreprocessSpec = PreprocessSpec(),
    registration: DepthRegistration | None = None,
) -> FaceInput | NotEnoughData:
    """Crop, register, fill, normalise, quantise, resize and degrade one face (see spec.py)."""
    box = _checked_box(face_box_xyxy_colour_px)
    frameset.validate()
    height, width = frameset.colour_bgr.shape[:2]
    crop = widen_box(box, spec.crop_scale)
    inside = clip_box(crop, width, height)
    if inside is None:
        return NotEnoughData(f"face box {tuple(box)} lies outside the {width}×{height} colour image")

    depth_window, ir_window = _depth_and_ir_in_colour(frameset, inside, registration)
    # Only read below, so no copy is needed, except of a slice: the compiled portrait loops
    # take contiguous windows (a registered window is one).
    ir_window = quantise_ir(ir_window, frameset.ir_full_scale, copy=not ir_window.flags.c_contiguous)
    crop_h, crop_w = crop[3] - crop[1], crop[2] - crop[0]
    origin = (inside[0] - crop[0], inside[1] - crop[1])

    # Statistics over the detector box (not the 1.3× box: that mixes in background).
    detector = _detector_in_crop(box, crop, crop_w, crop_h)
    detector_in_window = (
        max(detector[0] - origin[0], 0),
        max(detector[1] - origin[1], 0),
        min(detector[2] - origin[0], depth_window.shape[1]),
        min(detector[3] - origin[1], depth_window.shape[0]),
    )
    detector_size = (detector[2] - detector[0]) * (detector[3] - detector[1])
    stats, ir_mean = detector_statistics(depth_window, ir_window, detector_in_window, detector_size)
    fraction = stats.valid_fraction if stats else 0.0
    if fraction < spec.min_valid_depth_fraction:
        return NotEnoughData(
            f"{fraction:.0%} of the face box has valid depth, {spec.min_valid_depth_fraction:.0%} needed", fraction
        )
    near, far = spec.working_range_mm
    if not near <= stats.mean_mm <= far:
        reason = f"face at {stats.mean_mm:.0f} mm, outside the working range {near:.0f}–{far:.0f} mm"
        return NotEnoughData(reason, fraction)

    rng = depth_range(stats, spec.depth_algorithm, spec.depth_window_mm)
    # IR without depth (registration holes, outside the image) has no place in colour
    # geometry: it takes the mean IR of the face, as depth holes take the mean depth.
    depth_and_ir = portrait_levels(depth_window, ir_window, origin, (crop_h, crop_w), rng, round(ir_mean))

    # Area interpolation: the mean of the source pixels, like a camera imaging the face
    # smaller. OpenCV's takes at most 4 channels: colour and depth+IR go separately.
    targets = [
        area_resize_crop(frameset.colour_bgr, crop, spec.target_size_px),
        area_resize(depth_and_ir, spec.target_size_px),
    ]
    kernel = (spec.blur_kernel_px, spec.blur_kernel_px)
    degraded = [cv2.GaussianBlur(area_resize(t, spec.input_size_px), kernel, spec.blur_sigma_px) for t in targets]
    return FaceInput(_in_spec_order(targets, spec), _in_spec_order(degraded, spec), crop, stats, rng)


def to_batch(faces: Sequence[FaceInput], clear: bool = False) -> np.ndarray:
    """N×C×H×W float32 in [0, 1] (level / 255): the degraded inputs, or the clear targets."""
    if not faces:
        raise ValueError("to_batch needs at least one FaceInput")
    planes = np.stack([f.target if clear else f.degraded for f in faces])
    return planes.astype(np.float32) * np.float32(1.0 / 255.0)


def _depth_and_ir_in_colour(frameset: FrameSet, inside, registration: DepthRegistration | None):
    """Depth (float32 mm) and IR over the colour window ``inside``, registering if needed."""
    x0, y0, x1, y1 = inside
    ir_in_colour = frameset.ir_geometry is Geometry.COLOUR
    if frameset.depth_geometry is Geometry.COLOUR:
        if not ir_in_colour:
            raise ValueError(
                "FrameSet has depth aligned to colour but IR in the depth sensor's geometry: a plugin "
                "that aligns depth must align IR too (the DCAM710's MappedIR frame)"
            )
        depth = frameset.depth_raw[y0:y1, x0:x1].astype(np.float32) * np.float32(frameset.depth_scale_mm)
        return depth, frameset.ir[y0:y1, x0:x1]
    registration = registration or DepthRegistration.from_frameset(frameset)
    registered = registration.region(
        frameset.depth_raw, frameset.depth_scale_mm, inside, None if ir_in_colour else frameset.ir
    )
    return registered.depth_mm, frameset.ir[y0:y1, x0:x1] if ir_in_colour else registered.ir


def _detector_in_crop(box, crop, crop_w: int, crop_h: int) -> tuple[int, int, int, int]:
    """The detector box in crop pixels (x0, y0, x1, y1), rounded and clipped to the crop."""
    x0, y0 = min(max(round(box[0]) - crop[0], 0), crop_w), min(max(round(box[1]) - crop[1], 0), crop_h)
    x1, y1 = min(max(round(box[2]) - crop[0], 0), crop_w), min(max(round(box[3]) - crop[1], 0), crop_h)
    return x0, y0, max(x1, x0), max(y1, y0)


def _checked_box(box) -> tuple[float, float, float, float]:
    values = ()
    # Plain floats for the usual list/tuple/array (numpy's checks cost ~5 µs a face).
    if isinstance(box, (list, tuple, np.ndarray)) and len(box) == 4:
        try:
            values = tuple(float(v) for v in box)
        except (TypeError, ValueError):
            values = ()
    if len(values) != 4 or not all(map(math.isfinite, values)) or values[2] <= values[0] or values[3] <= values[1]:
        raise ValueError(f"face_box_xyxy_colour_px must be 4 finite numbers with x0 < x1 and y0 < y1, got {box!r}")
    return values


_PLANE = {"b": (0, 0), "g": (0, 1), "r": (0, 2), "depth": (1, 0), "ir": (1, 1)}


def _in_spec_order(images: list[np.ndarray], spec: PreprocessSpec) -> np.ndarray:
    """C×H×W from the (BGR, depth+IR) pair, channels in the spec's order."""
    out = np.empty((len(spec.channels),) + images[0].shape[:2], dtype=np.uint8)
    for plane, name in zip(out, spec.channels):  # plain copies: np.stack cost twice as much
        image, channel = _PLANE[name]
        plane[...] = images[image][..., channel]
    return out
