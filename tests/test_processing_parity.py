"""Training/serving parity: the fast per-face path gives the very numbers of the plain steps.

A model is trained on ``prepare_face`` outputs, so every speed-up of that path must leave
them unchanged: the 8-bit images bit for bit, the float model inputs within 1e-6. The
reference here is the per-face path written plainly from the building blocks, the way it
was before it was compiled: the whole frame registered with ``DepthRegistration.full``
(the kernel that matches ``rs.align``) and sliced, the window pasted into the portrait box,
``box_statistics`` on the detector box, ``fill_and_quantise``, ``quantise_ir`` with holes
taking the mean IR, ``cut`` for colour, and OpenCV's area resize and Gaussian blur. It runs
on simulator frames of both cameras at both resolutions: faces near and far, at the
image borders and with yawed heads. Nothing generated is stored.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest

from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scene import FaceSpec, Scene
from edge.frames import FrameSet
from edge.processing.crop import clip_box, cut, paste, widen_box
from edge.processing.depth import box_statistics, depth_range, fill_and_quantise
from edge.processing.face_input import FaceInput, NotEnoughData, prepare_face, to_batch
from edge.processing.ir import quantise_ir
from edge.processing.registration import DepthRegistration
from edge.processing.spec import PreprocessSpec

#: (distance mm, position in the colour image, yaw°): near, far, at each border, yawed.
FACES = [
    (400.0, (0.5, 0.45), 0.0),
    (1150.0, (0.4, 0.5), 0.0),
    (600.0, (0.03, 0.5), 0.0),
    (600.0, (0.97, 0.35), 0.0),
    (550.0, (0.5, 0.14), 0.0),
    (700.0, (0.6, 0.96), 0.0),
    (600.0, (0.45, 0.45), 40.0),
    (500.0, (0.55, 0.5), -35.0),
]
CAMERAS = [(camera, resolution) for camera in ("sr300", "dcam710") for resolution in ("640x480", "1920x1080")]


@functools.lru_cache(maxsize=None)
def frameset(camera: str, resolution: str, face: int) -> FrameSet:
    distance_mm, position, yaw_deg = FACES[face]
    scene = Scene(faces=(FaceSpec(distance_mm=distance_mm, position=position, yaw_deg=yaw_deg, identity=face),))
    return SimRenderer(camera, resolution, seed=face).render(scene, face)


def boxes(fs: FrameSet) -> list[tuple[float, float, float, float]]:
    """The true face box, two detector-like boxes around it (shifted, fractional, larger) and
    nearly the whole image (a depth window too large for compact z-buffer keys)."""
    x, y, w, h = fs.truth.faces[0].box_xywh_px
    height, width = fs.colour_bgr.shape[:2]
    return [
        (x, y, x + w, y + h),
        (x - 0.3 * w + 0.37, y + 0.1 * h - 0.61, x + 0.8 * w + 0.37, y + 1.05 * h - 0.61),
        (x - 0.25 * w, y - 0.2 * h, x + 1.25 * w, y + 1.2 * h),
        (0.5, 0.5, width - 0.5, height - 0.5),
    ]


def reference_prepare_face(fs: FrameSet, box, spec: PreprocessSpec, registration: DepthRegistration):
    """The per-face path in plain steps (see the module docstring); same results or reasons."""
    height, width = fs.colour_bgr.shape[:2]
    crop = widen_box(box, spec.crop_scale)
    inside = clip_box(crop, width, height)
    if inside is None:
        return NotEnoughData("outside")
    full = registration.full(fs.depth_raw, fs.depth_scale_mm, fs.ir)
    x0, y0, x1, y1 = inside
    depth = paste(full.depth_mm[y0:y1, x0:x1], inside, crop)
    ir = paste(quantise_ir(full.ir[y0:y1, x0:x1], fs.ir_full_scale), inside, crop)

    cx0, cy0, cx1, cy1 = crop
    crop_w, crop_h = cx1 - cx0, cy1 - cy0
    clamp = lambda v, hi: min(max(v, 0), hi)  # noqa: E731
    dx0, dy0 = clamp(round(box[0]) - cx0, crop_w), clamp(round(box[1]) - cy0, crop_h)
    dx1, dy1 = max(clamp(round(box[2]) - cx0, crop_w), dx0), max(clamp(round(box[3]) - cy0, crop_h), dy0)
    stats = box_statistics(depth[dy0:dy1, dx0:dx1])
    if stats is None or stats.valid_fraction < spec.min_valid_depth_fraction:
        return NotEnoughData("too few valid", stats.valid_fraction if stats else 0.0)
    if not spec.working_range_mm[0] <= stats.mean_mm <= spec.working_range_mm[1]:
        return NotEnoughData("out of range", stats.valid_fraction)
    rng = depth_range(stats, spec.depth_algorithm, spec.depth_window_mm)
    valid = depth[dy0:dy1, dx0:dx1] > 0
    ir_fill = round(ir[dy0:dy1, dx0:dx1][valid].mean())
    depth_and_ir = np.dstack([fill_and_quantise(depth, rng), np.where(depth > 0, ir, ir_fill).astype(np.uint8)])

    area = lambda image, size: cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)  # noqa: E731
    colour = cut(fs.colour_bgr, crop, replicate_edges=True)
    targets = [area(colour, spec.target_size_px), area(depth_and_ir, spec.target_size_px)]
    kernel = (spec.blur_kernel_px, spec.blur_kernel_px)
    degraded = [cv2.GaussianBlur(area(t, spec.input_size_px), kernel, spec.blur_sigma_px) for t in targets]
    planes = {"b": 0, "g": 1, "r": 2}
    order = lambda images: np.stack(  # noqa: E731
        [images[0][..., planes[c]] if c in planes else images[1][..., int(c == "ir")] for c in spec.channels]
    )
    return FaceInput(order(targets), order(degraded), crop, stats, rng)


@pytest.mark.parametrize("camera, resolution", CAMERAS)
def test_prepare_face_equals_the_plain_steps(camera, resolution):
    spec = PreprocessSpec()
    scored = 0
    for face in range(len(FACES)):
        fs = frameset(camera, resolution, face)
        registration = DepthRegistration.from_frameset(fs)
        for box in boxes(fs):
            fast = prepare_face(fs, box, spec, registration)
            plain = reference_prepare_face(fs, box, spec, registration)
            assert type(fast) is type(plain), (face, box, fast, plain)
            if isinstance(plain, NotEnoughData):
                assert fast.valid_depth_fraction == plain.valid_depth_fraction
                continue
            scored += 1
            assert fast.crop_box_xyxy_px == plain.crop_box_xyxy_px
            assert fast.depth == plain.depth and fast.depth_range == plain.depth_range
            np.testing.assert_array_equal(fast.target, plain.target)
            np.testing.assert_array_equal(fast.degraded, plain.degraded)
            for clear in (False, True):
                np.testing.assert_allclose(to_batch([fast], clear), to_batch([plain], clear), rtol=0, atol=1e-6)
    assert scored >= 2 * len(FACES)  # most faces are scored, so the comparison covers real data


@pytest.mark.parametrize("camera, resolution", CAMERAS)
def test_face_region_registration_equals_the_full_frame_inside_it(camera, resolution):
    for face in range(len(FACES)):
        fs = frameset(camera, resolution, face)
        registration = DepthRegistration.from_frameset(fs)
        full = registration.full(fs.depth_raw, fs.depth_scale_mm, fs.ir)
        for box in boxes(fs):
            region = registration.region(fs.depth_raw, fs.depth_scale_mm, box, fs.ir)
            x0, y0, x1, y1 = region.window_xyxy_px
            assert region.window_xyxy_px == registration.colour_window(box)
            np.testing.assert_array_equal(region.depth_mm, full.depth_mm[y0:y1, x0:x1])
            np.testing.assert_array_equal(region.ir, full.ir[y0:y1, x0:x1])
            without_ir = registration.region(fs.depth_raw, fs.depth_scale_mm, box)
            assert without_ir.ir is None
            np.testing.assert_array_equal(without_ir.depth_mm, region.depth_mm)
