"""Everything besides the head that carries a face or frames it: torso, photo, print, screen, mask.

The four attacks are those of the paper's acquisition (section III-D): colour and black-and-white
laser prints on 80 gsm paper (flat or bent), an electronic screen replaying a photo, and a 3D
paper mask. Their near-IR appearance follows the materials: laser colour toners (cyan, magenta,
yellow) are almost transparent in near-IR and only the black toner absorbs, a screen emits no
near-IR and its glass reflects the illuminator like a mirror, paper is a bright diffuse reflector.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from camera_plugins.sim.identity import head_for
from camera_plugins.sim.texture import TexturedHeightField, noise_field, smoothstep

PAPER_NIR = 0.85
PAPER_WHITE = 0.92
#: A4 portrait: the face is printed life-size with its nose tip 20 mm above the sheet's centre.
SHEET_X_MM = (-105.0, 105.0)
SHEET_Y_MM = (-128.5, 168.5)
SCREEN_DISPLAY_X_MM = (-105.0, 105.0)
SCREEN_DISPLAY_Y_MM = (-135.0, 145.0)
SCREEN_BEZEL_MM = 12.0
PHOTO_TEXEL_MM = 0.5
#: Mean brightness (0–1) of the face in an auto-exposed portrait.
PHOTO_FACE_BRIGHTNESS = 0.6
# Where a studio-like portrait is lit from: above, slightly to the side, towards the subject.
_PHOTO_LIGHT = np.array([0.25, -0.55, -0.8]) / np.linalg.norm([0.25, -0.55, -0.8])
CLOTH_NIR = 0.5


def _grid(x_range, y_range, texel):
    x = np.arange(x_range[0], x_range[1] + texel / 2, texel, dtype=np.float32)
    y = np.arange(y_range[0], y_range[1] + texel / 2, texel, dtype=np.float32)
    return np.meshgrid(x, y)


@functools.lru_cache(maxsize=64)
def torso_for(identity: int) -> TexturedHeightField:
    """Neck and shoulders below the head; local origin 80 mm behind the nose tip."""
    head = head_for(identity)
    texel = 2.0
    x, y = _grid((-240.0, 240.0), (30.0, 720.0), texel)
    neck = (np.abs(x) < 54) & (y < 170)
    neck_depth = 45.0 - np.sqrt(np.clip(54.0 ** 2 - x ** 2, 0, None)) * 0.7 + 40.0
    # Shoulders slope down from the neck (trapezius) and round off into the arms.
    shoulder_top = 125.0 + 0.28 * np.clip(np.abs(x) - 40.0, 0, None) + 60.0 * smoothstep(150.0, 215.0, np.abs(x))
    half_width = 215.0 - 12.0 * smoothstep(400.0, 700.0, y)
    on_body = (y >= shoulder_top) & (np.abs(x) < half_width)
    body_depth = 190.0 - 140.0 * np.sqrt(np.clip(1.0 - (x / 225.0) ** 2, 0, 1)) + 0.02 * (y - 120)
    depth = np.where(on_body, np.minimum(body_depth, np.where(neck, neck_depth, 1e3)), neck_depth)
    coverage = (neck | on_body).astype(np.float32)
    depth = depth.astype(np.float32)  # values beyond the outline keep normals at the edge smooth
    collar = y < 150 + 0.5 * np.abs(x)
    cloth = np.asarray(head.shape.clothing_bgr, np.float32)
    rng = np.random.default_rng([0x70250, identity & 0xFFFFFFFF])
    weave = 1.0 + 0.06 * noise_field(rng, x.shape, 2.0)
    albedo = np.where((neck & collar)[..., None], head.shape.skin_bgr * 0.9,
                      cloth * weave[..., None]).astype(np.float32)
    nir = np.where(neck & collar, head.shape.skin_nir, CLOTH_NIR)
    depth -= depth[coverage > 0].min()
    return TexturedHeightField.build(depth, coverage, albedo, nir.astype(np.float32), (-240.0, 30.0), texel)


def _shade_photo(albedo: np.ndarray, normal: np.ndarray) -> np.ndarray:
    lambert = np.clip(-(normal @ _PHOTO_LIGHT.astype(np.float32)), 0, 1)
    return albedo * (0.45 + 0.65 * lambert)[..., None]


@functools.lru_cache(maxsize=64)
def photo_of(identity: int) -> np.ndarray:
    """A frontal portrait (BGR 0–1) on the sheet's grid: head, shoulders and a plain backdrop."""
    head = head_for(identity).surface
    torso = torso_for(identity)
    x, y = _grid(SHEET_X_MM, SHEET_Y_MM, PHOTO_TEXEL_MM)
    rng = np.random.default_rng([0xF070, identity & 0xFFFFFFFF])
    backdrop = np.asarray(rng.uniform(0.45, 0.8, 3), np.float32)
    photo = np.empty(x.shape + (3,), np.float32)
    photo[:] = backdrop * (1.0 + 0.05 * noise_field(rng, x.shape, 40.0))[..., None]
    face = np.zeros(x.shape, bool)
    for field in (torso, head):
        mx = ((x - field.origin_xy_mm[0]) / field.texel_mm).astype(np.float32)
        my = ((y - field.origin_xy_mm[1]) / field.texel_mm).astype(np.float32)
        looks = cv2.remap(field.appearance_map, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        shape = cv2.remap(field.geometry_map, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        cover = cv2.remap(field.coverage_map, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        colour = _shade_photo(looks[..., :3], shape[..., :3])
        photo = np.where((cover > 0.5)[..., None], colour, photo)
        face = cover > 0.5
    # The camera that took the portrait exposed for the face: its mean brightness lands mid-scale.
    face_brightness = float((photo[face] @ np.array([0.114, 0.587, 0.299], np.float32)).mean())
    gain = np.clip(PHOTO_FACE_BRIGHTNESS / max(face_brightness, 1e-3), 1.0, 2.5)
    return np.clip(photo * np.float32(gain), 0, 1)


def _laser_print(photo_bgr: np.ndarray, colour: bool) -> tuple[np.ndarray, np.ndarray]:
    """What a laser printer puts on paper: albedo (BGR) and near-IR reflectance (black toner only)."""
    if colour:
        printed = 0.06 + (PAPER_WHITE - 0.06) * photo_bgr
        black_toner = np.clip(1.0 - photo_bgr.max(axis=2) - 0.1, 0, 1)
    else:
        grey = photo_bgr @ np.array([0.114, 0.587, 0.299], np.float32)
        printed = np.repeat((0.06 + (PAPER_WHITE - 0.06) * grey)[..., None], 3, axis=2)
        black_toner = 1.0 - grey
    nir = PAPER_NIR * (1.0 - 0.9 * black_toner)
    return printed.astype(np.float32), nir.astype(np.float32)


@functools.lru_cache(maxsize=64)
def print_for(identity: int, colour: bool, bend_mm: float) -> TexturedHeightField:
    """An A4 laser print of the identity's portrait, bent into a cylinder arc of ``bend_mm`` depth."""
    x, y = _grid(SHEET_X_MM, SHEET_Y_MM, PHOTO_TEXEL_MM)
    albedo, nir = _laser_print(photo_of(identity), colour)
    margin = (np.abs(x) > 100) | (y < SHEET_Y_MM[0] + 5) | (y > SHEET_Y_MM[1] - 5)
    albedo[margin] = PAPER_WHITE
    nir[margin] = PAPER_NIR
    half_width = (SHEET_X_MM[1] - SHEET_X_MM[0]) / 2
    depth = (bend_mm * (x / half_width) ** 2).astype(np.float32)
    return TexturedHeightField.build(depth, np.ones_like(depth), albedo, nir, (SHEET_X_MM[0], SHEET_Y_MM[0]),
                                     PHOTO_TEXEL_MM)


@functools.lru_cache(maxsize=64)
def screen_for(identity: int) -> TexturedHeightField:
    """A flat monitor replaying the portrait inside a dark bezel; the display emits its picture."""
    b = SCREEN_BEZEL_MM
    x, y = _grid((SCREEN_DISPLAY_X_MM[0] - b, SCREEN_DISPLAY_X_MM[1] + b),
                 (SCREEN_DISPLAY_Y_MM[0] - b, SCREEN_DISPLAY_Y_MM[1] + b), PHOTO_TEXEL_MM)
    photo = photo_of(identity)
    display = (x >= SCREEN_DISPLAY_X_MM[0]) & (x <= SCREEN_DISPLAY_X_MM[1]) & \
        (y >= SCREEN_DISPLAY_Y_MM[0]) & (y <= SCREEN_DISPLAY_Y_MM[1])
    mx = ((x - SHEET_X_MM[0]) / PHOTO_TEXEL_MM).astype(np.float32)
    my = ((y - SHEET_Y_MM[0]) / PHOTO_TEXEL_MM).astype(np.float32)
    shown = cv2.remap(photo, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    albedo = np.where(display[..., None], shown, np.float32(0.04)).astype(np.float32)
    nir = np.full(x.shape, 0.04, np.float32)
    depth = np.zeros(x.shape, np.float32)
    return TexturedHeightField.build(depth, np.ones_like(depth), albedo, nir, (float(x[0, 0]), float(y[0, 0])),
                                     PHOTO_TEXEL_MM, emission=display)


@functools.lru_cache(maxsize=64)
def mask_for(identity: int) -> TexturedHeightField:
    """A 3D paper mask: the face's shape smoothed and flattened, printed with its portrait, cut out."""
    head = head_for(identity)
    s = head.shape
    field = head.surface
    depth = field.depth_map.copy()
    covered = field.coverage_map > 0.5
    depth[~covered] = field.max_depth_mm
    smooth = 0.75 * cv2.GaussianBlur(depth, (0, 0), 7.0 / field.texel_mm)
    h, w = depth.shape
    x = field.origin_xy_mm[0] + np.arange(w, dtype=np.float32) * field.texel_mm
    y = field.origin_xy_mm[1] + np.arange(h, dtype=np.float32) * field.texel_mm
    x, y = np.meshgrid(x, y)
    top, bottom = s.eye_y_mm - 38.0, s.chin_y_mm + 3.0
    centre, half_h = (top + bottom) / 2, (bottom - top) / 2
    cut = ((x / (0.9 * s.head_half_width_mm)) ** 2 + ((y - centre) / half_h) ** 2) < 1.0
    photo = photo_of(identity)
    mx = ((x - SHEET_X_MM[0]) / PHOTO_TEXEL_MM).astype(np.float32)
    my = ((y - SHEET_Y_MM[0]) / PHOTO_TEXEL_MM).astype(np.float32)
    shown = cv2.remap(photo, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    albedo, nir = _laser_print(shown, colour=True)
    # The paper's cut edge shows as a thin white rim.
    rim = cut & ~cv2.erode(cut.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    albedo[rim] = PAPER_WHITE
    nir[rim] = PAPER_NIR
    smooth -= smooth[cut].min()
    return TexturedHeightField.build(smooth, cut.astype(np.float32), albedo, nir, field.origin_xy_mm,
                                     field.texel_mm)
