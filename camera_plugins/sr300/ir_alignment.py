"""Infrared into the colour image, following the depth that ``rs.align`` put there.

``rs.align(rs.stream.color)`` resamples depth only; IR stays in the depth sensor's geometry.
The pipeline needs both in one geometry, and IR is pixel-aligned with depth (one sensor), so
each colour pixel that received depth also knows where it came from: the colour pixel's ray,
at the point whose depth-sensor z is the aligned value, projected back into the depth image.
That depth pixel's IR is the colour pixel's IR; pixels without depth get 0, as depth does.

For the ray r through a colour pixel (colour frame), the point is P_c = s·r and in the depth
frame P_d = Rᵀ(P_c − t) = s·Rᵀr + c with c = −Rᵀt; requiring P_d.z = z (the aligned value)
gives s = (z − c_z) / (Rᵀr)_z. Projection into the depth image honours its lens model, but the
SR300's inverse Brown-Conrady needs 20 fixed-point iterations a point (0.4 µs: 130 ms CPU for a
640×480 frame), so the projection is tabulated once per camera on a grid of ideal normalised
points one depth pixel apart and interpolated bilinearly (the lens is smooth: the table's error
is far below a pixel); the per-pixel loop is compiled with numba, as the registration kernel is.
"""

from __future__ import annotations

import numba
import numpy as np

from edge.frames import Extrinsics, Intrinsics
from edge.processing.geometry import normalised_to_pixel, pixel_corner_rays, pixel_rays

#: Table cells beyond the depth image's outline, so that points just outside interpolate too.
_MARGIN_CELLS = 4


class IrToColour:
    """Maps one camera's IR into its colour image given depth already aligned to colour."""

    def __init__(self, depth_intrinsics: Intrinsics, colour_intrinsics: Intrinsics,
                 depth_to_colour: Extrinsics) -> None:
        self.depth_intrinsics = depth_intrinsics
        self.colour_intrinsics = colour_intrinsics
        rotation = depth_to_colour.rotation_matrix()
        rays = pixel_rays(colour_intrinsics)
        rays = np.concatenate([rays, np.ones(rays.shape[:2] + (1,))], axis=2)
        #: Colour rays in the depth frame (Rᵀr), and the colour camera's centre there (−Rᵀt).
        self._rays_in_depth = np.ascontiguousarray(rays @ rotation)
        self._colour_centre_in_depth = -(rotation.T @ depth_to_colour.translation_vector_mm())
        self._table_origin, self._table_step, self._table_u, self._table_v = _projection_table(depth_intrinsics)

    def map(self, aligned_depth_mm: np.ndarray, ir: np.ndarray) -> np.ndarray:
        """IR (depth-sensor geometry) resampled into the colour image where depth landed."""
        if aligned_depth_mm.shape != self.colour_intrinsics.shape:
            raise ValueError(f"aligned depth is {aligned_depth_mm.shape}, the colour image "
                             f"{self.colour_intrinsics.shape}")
        if ir.shape != self.depth_intrinsics.shape:
            raise ValueError(f"ir is {ir.shape}, the depth image {self.depth_intrinsics.shape}")
        out = np.zeros(aligned_depth_mm.shape, dtype=ir.dtype)
        _sample(np.ascontiguousarray(aligned_depth_mm, dtype=np.float32), np.ascontiguousarray(ir),
                self._rays_in_depth, self._colour_centre_in_depth, self._table_origin, self._table_step,
                self._table_u, self._table_v, out)
        return out


def _projection_table(intrinsics: Intrinsics):
    """Depth pixel position (u, v) of ideal normalised points on a regular grid covering the image."""
    corners = pixel_corner_rays(intrinsics)
    step = np.array([1.0 / intrinsics.fx_px, 1.0 / intrinsics.fy_px])
    low = corners.reshape(-1, 2).min(axis=0) - _MARGIN_CELLS * step
    high = corners.reshape(-1, 2).max(axis=0) + _MARGIN_CELLS * step
    counts = np.ceil((high - low) / step).astype(int) + 1
    x, y = np.meshgrid(low[0] + step[0] * np.arange(counts[0]), low[1] + step[1] * np.arange(counts[1]))
    u, v = normalised_to_pixel(intrinsics, x, y)
    return low, step, np.ascontiguousarray(u), np.ascontiguousarray(v)


@numba.njit(cache=True, nogil=True)
def _sample(depth_mm, ir, rays_in_depth, centre, origin, step, table_u, table_v, out):
    height, width = depth_mm.shape
    ir_height, ir_width = ir.shape
    rows, cols = table_u.shape
    for row in range(height):
        for col in range(width):
            z = depth_mm[row, col]
            if z <= 0.0:
                continue
            s = (z - centre[2]) / rays_in_depth[row, col, 2]
            x = (rays_in_depth[row, col, 0] * s + centre[0]) / z
            y = (rays_in_depth[row, col, 1] * s + centre[1]) / z
            gx = (x - origin[0]) / step[0]
            gy = (y - origin[1]) / step[1]
            j = int(np.floor(gx))
            i = int(np.floor(gy))
            if not (0 <= j < cols - 1 and 0 <= i < rows - 1):
                continue
            fx, fy = gx - j, gy - i
            u_px = ((1 - fy) * ((1 - fx) * table_u[i, j] + fx * table_u[i, j + 1])
                    + fy * ((1 - fx) * table_u[i + 1, j] + fx * table_u[i + 1, j + 1]))
            v_px = ((1 - fy) * ((1 - fx) * table_v[i, j] + fx * table_v[i, j + 1])
                    + fy * ((1 - fx) * table_v[i + 1, j] + fx * table_v[i + 1, j + 1]))
            u = int(np.rint(u_px))
            v = int(np.rint(v_px))
            if 0 <= u < ir_width and 0 <= v < ir_height:
                out[row, col] = ir[v, u]
