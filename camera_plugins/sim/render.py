"""The simulator's renderer: a Scene and a frame index in, a camera's three streams and truth out.

Each stream is rendered through its own camera model: colour through the colour intrinsics at
the colour sensor's pose, depth and IR (pixel-aligned, one sensor) through the depth
intrinsics with the depth sensor's lens model. The room is ray-cast once per stream; per frame
only the regions of interest of faces, props and bodies are cast (``raycast.py``). Then the
sensor physics (``sensors.py``) turn true depth and returned near-IR into raw frames.

Frame k depends only on (camera, resolution, seed, scene, k): every random draw is seeded by
them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from camera_plugins.sim.camera_models import CameraModel, camera_model
from camera_plugins.sim.optics import RayTable, project
from camera_plugins.sim.placement import PlacedFace, place_face
from camera_plugins.sim.raycast import Hit, PlacedSurface, cast, cast_coarse_to_fine
from camera_plugins.sim.room import RoomView, view_room
from camera_plugins.sim.scene import Lighting, Scene
from camera_plugins.sim.sensors import (
    DepthPhysics, NoiseBank, coded_light_depth, encode_colour, encode_depth, encode_ir, time_of_flight_depth,
)
from edge.frames import FaceTruth, FrameSet, Geometry, SceneTruth, Timestamps

#: Direction towards the room's main light (ceiling, slightly in front of the subject), camera frame.
_TOWARDS_LIGHT = (np.array([-0.25, -0.75, -0.6]) / np.linalg.norm([-0.25, -0.75, -0.6])).astype(np.float32)
_AMBIENT = 0.42
_KEY = 0.7
#: (exposure, noise in digital numbers) of the colour sensor per lighting.
_COLOUR_SENSOR = {Lighting.NORMAL: (1.0, 1.5), Lighting.LOW: (0.12, 5.0)}
#: Returned near-IR at 1 m from a facing surface of reflectance 1, relative to the IR stream's full
#: scale: the illuminators differ in power (the paper notes the cameras' IR differ in emission power).
_ILLUMINATOR_GAIN = {"coded_light": 0.30, "time_of_flight": 0.36}
_GLINT = 6.0
#: Rooms (each ~17 MB of views at 640×480) kept per renderer; datasets cycle through many.
_ROOMS_KEPT = 4
#: The illuminator is small and the screen a sharp mirror: its glint is a spot ~1° across.
_GLINT_SHARPNESS = 5000.0


@dataclass(frozen=True)
class RawFrame:
    """One frame as the sensor sends it, before a plugin's conversion (DCAM710: 0xFFFF = no depth)."""

    camera_model: str
    frame_index: int
    sensor_time_ms: float
    colour_bgr: np.ndarray
    depth_raw: np.ndarray
    ir: np.ndarray
    truth: SceneTruth


class SimRenderer:
    """Renders scenes as one camera model sees them."""

    def __init__(self, camera_model: str = "sr300", colour_resolution: str = "640x480", seed: int = 0,
                 physics: DepthPhysics = DepthPhysics()) -> None:
        from camera_plugins.sim.camera_models import camera_model as lookup
        self.model: CameraModel = lookup(camera_model)
        self.colour_intrinsics = self.model.colour_intrinsics(colour_resolution)
        self.depth_intrinsics = self.model.depth_intrinsics
        self.seed = int(seed)
        self.physics = physics
        self.depth_rays = RayTable.of(self.depth_intrinsics)
        self.colour_rays = RayTable.of(self.colour_intrinsics)
        self._coarse_rays: dict[tuple[int, int], RayTable] = {}
        self.r_ext = self.model.depth_to_colour.rotation_matrix()
        self.t_ext = self.model.depth_to_colour.translation_vector_mm()
        self._rooms: dict[int, tuple[RoomView, RoomView]] = {}
        dshape = self.depth_intrinsics.shape
        self._depth_noise = NoiseBank(self.seed, dshape)
        self._depth_uniform = NoiseBank(self.seed + 1, dshape, uniform=True)
        self._ir_noise = NoiseBank(self.seed + 2, dshape)
        self._colour_noise = NoiseBank(self.seed + 3, self.colour_intrinsics.shape + (3,))
        self._identity = (np.eye(3), np.zeros(3))

    def _room(self, background_seed: int) -> tuple[RoomView, RoomView]:
        if background_seed in self._rooms:
            self._rooms[background_seed] = self._rooms.pop(background_seed)  # most recently used last
        else:
            while len(self._rooms) >= _ROOMS_KEPT:
                self._rooms.pop(next(iter(self._rooms)))
            self._rooms[background_seed] = (
                view_room(self.depth_rays, np.eye(3), np.zeros(3), background_seed),
                view_room(self.colour_rays, self.r_ext, self.t_ext, background_seed),
            )
        return self._rooms[background_seed]

    def _cast(self, surface: PlacedSurface, rays: RayTable, rotation: np.ndarray, translation: np.ndarray
              ) -> Hit | None:
        if surface.subsample <= 1:
            return cast(surface, rays, rotation, translation)
        key = (id(rays), surface.subsample)
        if key not in self._coarse_rays:
            self._coarse_rays[key] = rays.coarse(surface.subsample)
        return cast_coarse_to_fine(surface, rays, self._coarse_rays[key], surface.subsample, rotation, translation)

    def prepare(self, scene: Scene) -> None:
        """Build what rendering ``scene`` needs (room views, heads, props) ahead of time."""
        self._room(scene.background_seed)
        for face in scene.faces:
            place_face(face, self.colour_intrinsics, self.model.depth_to_colour)

    def render_raw(self, scene: Scene, frame_index: int) -> RawFrame:
        for face in scene.faces:
            self.model.check_distance(face.distance_mm)
        rng = np.random.default_rng([self.seed & 0xFFFFFFFF, int(frame_index), 0x51])
        depth_room, colour_room = self._room(scene.background_seed)
        placed = [place_face(f, self.colour_intrinsics, self.model.depth_to_colour) for f in scene.faces]
        surfaces = [s for p in placed for s in p.surfaces]

        # Colour stream and the true depth in colour geometry.
        z_colour = colour_room.z_mm.copy()
        colour = colour_room.colour.copy()
        for surface in surfaces:
            hit = self._cast(surface, self.colour_rays, self.r_ext, self.t_ext)
            if hit is not None:
                self._composite_colour(hit, surface.material.emissive, z_colour, colour)
        exposure, noise_dn = _COLOUR_SENSOR[scene.lighting]
        colour_bgr = encode_colour(colour, exposure, noise_dn, self._colour_noise.take(rng))

        # Depth and IR: one sensor, one geometry.
        z_depth = depth_room.z_mm.copy()
        gain = _ILLUMINATOR_GAIN[self.model.depth_principle]
        returned = gain * depth_room.nir_reflectance * depth_room.cos_view / np.maximum(depth_room.range_m, 0.1) ** 2
        cos_view = depth_room.cos_view.copy()
        glossy = np.zeros(z_depth.shape, bool)
        for surface in surfaces:
            hit = self._cast(surface, self.depth_rays, *self._identity)
            if hit is not None:
                self._composite_depth(hit, surface.material.glossy, gain, z_depth, returned, cos_view, glossy)
        gauss = self._depth_noise.take(rng)
        uniform = self._depth_uniform.take(rng)
        if self.model.depth_principle == "coded_light":
            measured = coded_light_depth(z_depth, returned, cos_view, glossy, self.depth_rays.ray_x, self.model,
                                         gauss, uniform, self.physics)
        else:
            measured = time_of_flight_depth(z_depth, returned, self.model, gauss, uniform, self.physics)
        depth_raw = encode_depth(measured, self.model)
        ir = encode_ir(returned, self.model, self._ir_noise.take(rng))

        truth = SceneTruth(tuple(self._face_truths(placed)), scene.lighting.value, z_colour)
        return RawFrame(self.model.name, int(frame_index), frame_index * 1000.0 / self.model.fps,
                        colour_bgr, depth_raw, ir, truth)

    def render(self, scene: Scene, frame_index: int, camera_id: str = "sim") -> FrameSet:
        """The FrameSet a plugin yields: invalid depth already 0, truth attached."""
        raw = self.render_raw(scene, frame_index)
        depth = raw.depth_raw
        if self.model.invalid_depth_code:
            depth = np.where(depth == self.model.invalid_depth_code, np.uint16(0), depth)
        return FrameSet(
            camera_id=camera_id, frame_index=raw.frame_index,
            timestamps=Timestamps(raw.sensor_time_ms, "simulated", time.time_ns(), time.monotonic_ns()),
            colour_bgr=raw.colour_bgr, depth_raw=depth, depth_scale_mm=self.model.depth_scale_mm,
            ir=raw.ir, ir_full_scale=self.model.ir_full_scale, colour_intrinsics=self.colour_intrinsics,
            depth_intrinsics=self.depth_intrinsics, depth_to_colour=self.model.depth_to_colour,
            depth_geometry=Geometry.DEPTH_SENSOR, ir_geometry=Geometry.DEPTH_SENSOR, truth=raw.truth,
        )

    def _composite_colour(self, hit: Hit, emissive: bool, z_buffer: np.ndarray, colour: np.ndarray) -> None:
        z_roi = z_buffer[hit.rows, hit.cols]
        write = hit.mask & (hit.z_mm < z_roi)
        if not write.any():
            return
        lambert = np.clip(hit.normal_cam @ _TOWARDS_LIGHT, 0, 1)
        albedo = hit.appearance[..., :3]
        light = _AMBIENT + _KEY * lambert
        if emissive:
            # A screen shows its picture whatever the room light; elsewhere (bezel) it is lit.
            emission = hit.emission
            light = light * (1.0 - emission) + 1.1 * emission
        np.copyto(z_roi, hit.z_mm, where=write)
        np.copyto(colour[hit.rows, hit.cols], albedo * light[..., None], where=write[..., None])

    def _composite_depth(self, hit: Hit, glossy_surface: bool, gain: float, z_buffer: np.ndarray,
                         returned: np.ndarray, cos_view: np.ndarray, glossy: np.ndarray) -> None:
        z_roi = z_buffer[hit.rows, hit.cols]
        write = hit.mask & (hit.z_mm < z_roi)
        if not write.any():
            return
        rx = self.depth_rays.ray_x[hit.rows, hit.cols]
        ry = self.depth_rays.ray_y[hit.rows, hit.cols]
        length = self.depth_rays.ray_length[hit.rows, hit.cols]
        n = hit.normal_cam
        cos = np.clip(-(n[..., 0] * rx + n[..., 1] * ry + n[..., 2]) / length, 0, 1)
        range_m = hit.z_mm * length * np.float32(0.001)
        signal = gain * hit.appearance[..., 3] * cos / (range_m * range_m)
        if glossy_surface:
            signal = signal + gain * _GLINT * cos ** _GLINT_SHARPNESS / (range_m * range_m)
        np.copyto(glossy[hit.rows, hit.cols], glossy_surface, where=write)
        np.copyto(z_roi, hit.z_mm, where=write)
        np.copyto(returned[hit.rows, hit.cols], signal, where=write)
        np.copyto(cos_view[hit.rows, hit.cols], cos, where=write)

    def _face_truths(self, placed: list[PlacedFace]) -> list[FaceTruth]:
        truths = []
        w, h = self.colour_intrinsics.width_px, self.colour_intrinsics.height_px
        for face in placed:
            to_colour = lambda p: p @ self.r_ext.T + self.t_ext  # noqa: E731
            marks = project(self.colour_intrinsics, to_colour(face.local_points_mm(face.head.landmarks_xy_mm)))
            outline = project(self.colour_intrinsics, to_colour(face.local_points_mm(face.head.box_outline_xy_mm)))
            x0, y0 = outline.min(axis=0)
            x1, y1 = outline.max(axis=0)
            cx0, cy0, cx1, cy1 = max(x0, 0.0), max(y0, 0.0), min(x1, w), min(y1, h)
            inside = max(cx1 - cx0, 0) * max(cy1 - cy0, 0) / max((x1 - x0) * (y1 - y0), 1e-6)
            if inside < 0.6:
                continue
            s = face.spec
            truths.append(FaceTruth(
                presentation=s.presentation.value, subject_id=int(s.identity),
                box_xywh_px=(float(cx0), float(cy0), float(cx1 - cx0), float(cy1 - cy0)),
                landmarks_px=tuple((float(u), float(v)) for u, v in marks),
                distance_mm=float(s.distance_mm), yaw_deg=float(s.yaw_deg), pitch_deg=float(s.pitch_deg),
                roll_deg=float(s.roll_deg),
            ))
        return truths
