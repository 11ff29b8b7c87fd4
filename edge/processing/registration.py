"""Depth → colour registration, for the whole frame or only a face's region (issue 3, item 1).

Each valid depth pixel is deprojected through the depth lens model, converted to
millimetres, moved into the colour camera's frame with the extrinsics and projected through
the colour lens model. Its whole footprint (the colour rectangle between the projections of
its top-left and bottom-right corners) receives its depth, as ``rs.align`` does, so that the
larger colour focal length (×1.3 the depth camera's at 640×480, ×2.9 at 1080p) leaves no holes; where
several depth pixels land on one colour pixel the nearest wins (z-buffer). IR is
pixel-aligned with depth on both cameras, so it is carried along with the same mapping.

Speed: the corner rays, already rotated into the colour frame, are computed once per camera
(``DepthRegistration`` is built once and reused), and the per-pixel loop is a numba kernel
(``registration_kernel.py`` says why numba). ``region`` maps the colour box into the depth
image and registers just those depth pixels with a kernel built for small windows
(``region_kernel.py``): a face costs a small fraction of a frame.

Exactness of ``region``: a depth pixel's colour position moves monotonically along its
epipolar line as its depth goes from ``min_depth_mm`` to infinity, so the depth pixels that
can land in a colour box lie inside the union of the box mapped back at those two depths.
Registering that union (plus a footprint margin) gives exactly the full-frame result inside
the box; depths below ``min_depth_mm`` are invalid in both (no camera here sees that close).
The nearest and farthest valid depth inside that union then narrow the range (and the
union) to the depths really present, which is still exact.

A FrameSet whose depth is already in colour geometry (``Geometry.COLOUR``, the DCAM710's
MappedDepth) needs none of this: ``face_input`` then cuts the crop straight from it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from edge.frames import Extrinsics, FrameSet, Intrinsics
from edge.processing.geometry import (
    has_distortion,
    is_inverse,
    pixel_corner_rays,
    pixel_rays,
    rational_coefficients,
)
from edge.processing.region_kernel import (
    COMPACT_KEY_PIXELS,
    MASKED_FOOTPRINT_SIDES_PX,
    read_keys,
    register_region_keys,
)
from edge.processing.registration_kernel import (
    landing_window,
    lens_parameters,
    register_window,
    window_in_depth,
)

#: Depth pixels within this many pixels outside the mapped box are registered too: a
#: footprint reaches up to one depth pixel beyond its centre's projection.
_FOOTPRINT_MARGIN_PX = 2


@dataclass(frozen=True)
class RegisteredDepth:
    """Depth (and IR) in colour geometry over a window of the colour image.

    ``depth_mm`` is float32 millimetres, 0 where no valid depth landed; ``ir`` has the input
    IR's dtype (0 where no depth landed) or is None; ``window_xyxy_px`` is the window's
    (x0, y0, x1, y1) in colour pixels, x1/y1 exclusive."""

    depth_mm: np.ndarray
    ir: np.ndarray | None
    window_xyxy_px: tuple[int, int, int, int]


class DepthRegistration:
    """Registers one camera's depth (and IR) into its colour image; build once per camera."""

    def __init__(
        self,
        depth_intrinsics: Intrinsics,
        colour_intrinsics: Intrinsics,
        depth_to_colour: Extrinsics,
        min_depth_mm: float = 100.0,
    ) -> None:
        if not (math.isfinite(min_depth_mm) and min_depth_mm > 0):
            raise ValueError(f"min_depth_mm must be a positive number, got {min_depth_mm}")
        self.depth_intrinsics = depth_intrinsics
        self.colour_intrinsics = colour_intrinsics
        self.depth_to_colour = depth_to_colour
        self.min_depth_mm = float(min_depth_mm)
        rotation = depth_to_colour.rotation_matrix()
        corners = pixel_corner_rays(depth_intrinsics)
        rays = np.concatenate([corners, np.ones(corners.shape[:2] + (1,))], axis=2) @ rotation.T
        # float32 like librealsense: positions to 1e-4 px, half the memory traffic.
        self._corner_rays = np.ascontiguousarray(np.moveaxis(rays, 2, 0), dtype=np.float32)
        self._t_mm = depth_to_colour.translation_vector_mm().astype(np.float32)
        self._min_rotated_rz = float(self._corner_rays[2].min())
        self._max_rotated_rz = float(self._corner_rays[2].max())
        self._rotation = rotation
        self._t64_mm = depth_to_colour.translation_vector_mm()
        self._colour_lens = lens_parameters(colour_intrinsics)
        self._depth_lens = lens_parameters(depth_intrinsics)
        c = colour_intrinsics
        self._focal = np.array([c.fx_px, c.fy_px], dtype=np.float32)
        self._centre = np.array([c.cx_px, c.cy_px], dtype=np.float32)
        if is_inverse(c) and has_distortion(c):
            raise ValueError(
                "colour_intrinsics: an inverse Brown-Conrady colour lens is not supported (no camera "
                "here has one); give the colour lens as brown_conrady or rational_8"
            )
        self._lens = rational_coefficients(c).astype(np.float32)
        self._distorted = has_distortion(c)
        # A depth pixel's footprint spans about colour/depth focal length colour pixels a side
        # (+1: its ends fall on whole pixels); region() updates squares of that side.
        magnification = max(c.fx_px, c.fy_px) / min(depth_intrinsics.fx_px, depth_intrinsics.fy_px)
        side = math.ceil(magnification) + 1
        self._footprint_px = next((s for s in MASKED_FOOTPRINT_SIDES_PX if s >= side), MASKED_FOOTPRINT_SIDES_PX[-1])

    @classmethod
    def from_frameset(cls, frameset: FrameSet, min_depth_mm: float = 100.0) -> DepthRegistration:
        """The registration of the frameset's camera; built once per camera and then reused
        (construction computes the whole corner-ray table, ~10 ms)."""
        return _cached(frameset.depth_intrinsics, frameset.colour_intrinsics, frameset.depth_to_colour, min_depth_mm)

    def full(self, depth_raw: np.ndarray, depth_scale_mm: float, ir: np.ndarray | None = None) -> RegisteredDepth:
        """The whole depth frame in colour geometry (colour resolution)."""
        self._check_inputs(depth_raw, depth_scale_mm, ir)
        h, w = self.colour_intrinsics.shape
        return self._register(depth_raw, depth_scale_mm, ir, (0, 0, w, h), (0, 0) + self.depth_intrinsics.shape[::-1])

    def region(
        self,
        depth_raw: np.ndarray,
        depth_scale_mm: float,
        box_xyxy_colour_px,
        ir: np.ndarray | None = None,
    ) -> RegisteredDepth:
        """Depth in colour geometry inside a colour box only, equal to ``full`` there.

        The box (x0, y0, x1, y1, colour pixels, may be fractional) is clipped to the image
        and widened to whole pixels; a box with nothing inside the image is a ValueError."""
        window = self.colour_window(box_xyxy_colour_px)
        self._check_inputs(depth_raw, depth_scale_mm, ir)
        # Any depth pixel that can land in the window lies in the window mapped back for depths
        # from min_depth_mm on; its nearest and farthest valid depth then narrow the depth
        # range, and so the window, to what is really there (exact, and 2–5× fewer pixels).
        scale = float(depth_scale_mm)
        depth_window = landing_window(
            depth_raw, scale, self.min_depth_mm, window, (self._min_rotated_rz, self._max_rotated_rz),
            self._t64_mm, self._colour_lens, self._rotation, self._depth_lens, _FOOTPRINT_MARGIN_PX,
        )  # fmt: skip
        return self._register_region(depth_raw, scale, ir, window, depth_window)

    def colour_axis_depth_mm(self, registered: RegisteredDepth) -> np.ndarray:
        """The colour camera's Z of the points a registration shows (0 stays 0).

        Registered values are the depth sensor's z of each surface point, as ``rs.align``
        keeps them; the colour camera's own Z differs by the extrinsics (a few mm on these
        cameras). For the point seen at colour ray r: z_depth = Z·(Rᵀr)_z − (Rᵀt)_z."""
        x0, y0, x1, y1 = registered.window_xyxy_px
        rays = pixel_rays(self.colour_intrinsics)[y0:y1, x0:x1]
        rz = self.depth_to_colour.rotation_matrix()[:, 2]
        along = rays[..., 0] * rz[0] + rays[..., 1] * rz[1] + rz[2]
        offset = float(rz @ self.depth_to_colour.translation_vector_mm())
        z = registered.depth_mm
        return np.where(z > 0, (z + offset) / along, 0.0).astype(np.float32)

    def colour_window(self, box_xyxy_colour_px) -> tuple[int, int, int, int]:
        """Whole-pixel window (x0, y0, x1, y1; x1, y1 exclusive) covering the box in the image."""
        # Plain floats, not numpy: this runs for every face and numpy's checks cost ~4 µs.
        try:
            box = tuple(float(v) for v in box_xyxy_colour_px)
        except (TypeError, ValueError):
            box = ()
        if len(box) != 4 or not all(map(math.isfinite, box)) or box[2] <= box[0] or box[3] <= box[1]:
            raise ValueError(
                f"box_xyxy_colour_px must be 4 finite numbers x0 < x1, y0 < y1, got {box_xyxy_colour_px!r}"
            )
        h, w = self.colour_intrinsics.shape
        x0, y0 = max(math.floor(box[0]), 0), max(math.floor(box[1]), 0)
        x1, y1 = min(math.ceil(box[2]), w), min(math.ceil(box[3]), h)
        if x1 <= x0 or y1 <= y0:
            raise ValueError(f"box_xyxy_colour_px {box} lies wholly outside the {w}×{h} colour image")
        return (x0, y0, x1, y1)

    def depth_window(
        self, colour_window: tuple[int, int, int, int], nearest_mm: float, farthest_mm: float = math.inf
    ) -> tuple[int, int, int, int]:
        """Depth pixels (x0, y0, x1, y1; exclusive ends) at depths nearest_mm … farthest_mm
        that can land in a colour window: the window's outline mapped back at both depths."""
        # The colour-frame Z of a point at depth-frame z is z·(R·ray)_z + t_z, which lies
        # between z·min(R·ray)_z + t_z and z·max(R·ray)_z + t_z.
        near_colour_mm = max(nearest_mm * self._min_rotated_rz + float(self._t_mm[2]), 1.0)
        far_colour_mm = max(farthest_mm * self._max_rotated_rz + float(self._t_mm[2]), near_colour_mm)
        return window_in_depth(
            colour_window, near_colour_mm, far_colour_mm, self._colour_lens, self._rotation, self._t64_mm,
            self._depth_lens, (self.depth_intrinsics.width_px, self.depth_intrinsics.height_px), _FOOTPRINT_MARGIN_PX,
        )  # fmt: skip

    def _register(self, depth_raw, depth_scale_mm, ir, colour_window, depth_window) -> RegisteredDepth:
        x0, y0, x1, y1 = colour_window
        out_depth = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
        out_ir = np.zeros((y1 - y0, x1 - x0), dtype=ir.dtype) if ir is not None else np.zeros((1, 1), np.uint8)
        intr = self.colour_intrinsics
        register_window(
            depth_raw, float(depth_scale_mm), self.min_depth_mm,
            ir if ir is not None else out_ir, ir is not None,
            self._corner_rays, self._t_mm, self._focal, self._centre,
            self._lens, has_distortion(intr),
            depth_window, (intr.width_px, intr.height_px), (x0, y0), out_depth, out_ir,
        )  # fmt: skip
        return RegisteredDepth(out_depth, out_ir if ir is not None else None, colour_window)

    def _register_region(self, depth_raw, depth_scale_mm, ir, colour_window, depth_window) -> RegisteredDepth:
        x0, y0, x1, y1 = colour_window
        side = self._footprint_px
        dx0, dy0, dx1, dy1 = depth_window
        compact = (dx1 - dx0) * (dy1 - dy0) <= COMPACT_KEY_PIXELS
        keys = np.empty((y1 - y0, x1 - x0 + side), dtype=np.uint32 if compact else np.uint64)
        intr = self.colour_intrinsics
        register_region_keys(
            depth_raw, depth_scale_mm, self.min_depth_mm, self._corner_rays, self._t_mm, self._focal, self._centre,
            self._lens, self._distorted, depth_window, (intr.width_px, intr.height_px), colour_window, side, keys,
        )  # fmt: skip
        out_depth = np.empty((y1 - y0, x1 - x0), dtype=np.float32)
        if ir is None:
            read_keys(keys, depth_scale_mm, _NO_IR, False, out_depth, _NO_IR)
            return RegisteredDepth(out_depth, None, colour_window)
        out_ir = np.empty((y1 - y0, x1 - x0), dtype=ir.dtype)
        # Compact keys index the depth window: its IR, as one contiguous block.
        ir_indexed = np.ascontiguousarray(ir[dy0:dy1, dx0:dx1]) if compact else ir
        read_keys(keys, depth_scale_mm, ir_indexed, True, out_depth, out_ir)
        return RegisteredDepth(out_depth, out_ir, colour_window)

    def _check_inputs(self, depth_raw, depth_scale_mm, ir) -> None:
        shape = self.depth_intrinsics.shape
        if not (isinstance(depth_raw, np.ndarray) and depth_raw.dtype == np.uint16 and depth_raw.shape == shape):
            raise ValueError(
                f"depth_raw must be a {shape[0]}×{shape[1]} uint16 array (the depth intrinsics' size), "
                f"got {_describe(depth_raw)}"
            )
        scale_ok = isinstance(depth_scale_mm, (int, float, np.floating)) and math.isfinite(depth_scale_mm)
        if not (scale_ok and depth_scale_mm > 0):
            raise ValueError(
                f"depth_scale_mm must be a positive number (SR300 0.125, DCAM710 1.0), got {depth_scale_mm!r}"
            )
        if ir is not None and not (
            isinstance(ir, np.ndarray) and ir.dtype in (np.uint8, np.uint16) and ir.shape == shape
        ):
            raise ValueError(
                f"ir must be a {shape[0]}×{shape[1]} uint8 or uint16 array pixel-aligned with depth, "
                f"got {_describe(ir)}"
            )


#: Stands in for IR when there is none (the compiled functions take arrays only).
_NO_IR = np.zeros((1, 1), np.uint8)


@functools.lru_cache(maxsize=8)
def _cached(depth: Intrinsics, colour: Intrinsics, extrinsics: Extrinsics, min_depth_mm: float) -> DepthRegistration:
    return DepthRegistration(depth, colour, extrinsics, min_depth_mm)


def _describe(a: object) -> str:
    if isinstance(a, np.ndarray):
        return f"{a.dtype} array of shape {a.shape}"
    return type(a).__name__
