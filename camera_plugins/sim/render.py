"""The simulator's renderer: a Scene and a frame index in, a camera's three streams and truth out.

Each stream is rendered through its own camera model: colour through the colour intrinsics at
the colour sensor's pose, depth and IR (pixel-aligned, one sensor) through the depth
intrinsics with the depth sensor's lens model. The room is ray-cast once per stream; per frame
only the regions of interest of faces, props and bodies are cast (``raycast.py``). Then the
sensor physics (``sensors.py``) turn true depth and returned near-IR into raw frames.

Truth (``FrameSet.truth``): per visible face its presentation, subject (identity), box and five
landmarks in colour pixels — the box is the region YuNet reports on these faces (mean IoU ≈ 0.9
on near-frontal faces) — distance and pose as specified; and ``depth_in_colour_mm``, the Z in the
*colour camera's frame* of the nearest surface at each colour pixel. A registration that moves
depth into the colour frame (e.g. ``cv2.registerDepth``) reproduces it; ``rs.align`` keeps the
depth camera's Z, which differs by the extrinsic's few millimetres.

Frame k depends only on (camera, resolution, seed, scene, k): every random draw is seeded by
them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from camera_plugins.sim import camera_models
from camera_plugins.sim.camera_models import CameraModel
from camera_plugins.sim.optics import RayTable, project
from camera_plugins.sim.placement import PlacedFace, place_face
from camera_plugins.sim.raycast import Hit, PlacedSurface, cast, upsample
from camera_plugins.sim.room import view_room
from camera_plugins.sim.scene import Lighting, Scene
from camera_plugins.sim.sensors import (
    ColourNoise, DepthPhysics, DepthResponse, NoiseBank, coded_light_response, encode_colour, encode_depth,
    encode_ir, ir_response, time_of_flight_response,
)
from edge.frames import FaceTruth, FrameSet, Geometry, SceneTruth, Timestamps

#: Direction towards the room's main light (ceiling, slightly in front of the subject), camera frame.
_TOWARDS_LIGHT = (np.array([-0.25, -0.75, -0.6]) / np.linalg.norm([-0.25, -0.75, -0.6])).astype(np.float32)
_AMBIENT = 0.42
_KEY = 0.7
#: (exposure, noise σ in 8-bit numbers) of the colour sensor per lighting. Low light is a dark
#: surveillance scene at night (a few lux against an office's few hundred): the auto-exposure
#: runs out at its longest time and highest gain, a face lands at 1–4 DN of 255, and the read
#: noise that gain amplifies is as large as the signal. The IR illuminator is unaffected.
_COLOUR_SENSOR = {Lighting.NORMAL: (1.0, 1.5), Lighting.LOW: (0.025, 4.0)}
#: Returned near-IR at 1 m from a facing surface of reflectance 1, relative to the IR stream's full
#: scale: the illuminators differ in power (the paper notes the cameras' IR differ in emission power).
_ILLUMINATOR_GAIN = {"coded_light": 0.30, "time_of_flight": 0.36}
_GLINT = 6.0
#: The illuminator is small and the screen a sharp mirror: its glint is a spot ~1° across.
_GLINT_SHARPNESS = 5000.0
#: Noise draws of the empty room kept per room (frames pick one; surfaces get fresh noise).
_ROOM_NOISE_FRAMES = 8
#: Rooms kept per renderer; datasets cycle through many.
_ROOMS_KEPT = 4
#: Depth pixels left of a surface that its projector shadow may reach (SR300 at 0.4 m: ~36 px).
_SHADOW_MARGIN_PX = 48


@dataclass(frozen=True)
class _Room:
    """One room as this camera sees it: what the frames need of it, none of it per frame."""

    colour_z_mm: np.ndarray
    colour_u8: dict[Lighting, np.ndarray]
    depth_z_mm: np.ndarray
    depth_cos_view: np.ndarray
    #: Near-IR returned to the depth sensor, relative to the IR stream's full scale.
    returned: np.ndarray
    #: Raw depth and IR frames of the empty room, each with its own noise draw; a frame starts
    #: from one of them, so the static background costs a copy instead of a noise draw.
    depth_frames: tuple[np.ndarray, ...]
    ir_frames: tuple[np.ndarray, ...]


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
                 physics: DepthPhysics = DepthPhysics(), fps: float | None = None) -> None:
        self.model: CameraModel = camera_models.camera_model(camera_model)
        #: Frame rate that spaces the sensor timestamps (the camera model's unless set).
        self.fps = float(fps) if fps else self.model.fps
        self.colour_intrinsics = self.model.colour_intrinsics(colour_resolution)
        self.depth_intrinsics = self.model.depth_intrinsics
        self.seed = int(seed)
        self.physics = physics
        self.depth_rays = RayTable.of(self.depth_intrinsics)
        self.colour_rays = RayTable.of(self.colour_intrinsics)
        self._coarse_rays: dict[tuple[int, int], RayTable] = {}
        self.r_ext = self.model.depth_to_colour.rotation_matrix()
        self.t_ext = self.model.depth_to_colour.translation_vector_mm()
        self._gain = _ILLUMINATOR_GAIN[self.model.depth_principle]
        self._rooms: dict[int, _Room] = {}
        dshape = self.depth_intrinsics.shape
        self._depth_noise = NoiseBank(self.seed, dshape)
        self._depth_uniform = NoiseBank(self.seed + 1, dshape, uniform=True)
        self._ir_noise = NoiseBank(self.seed + 2, dshape)
        cshape = self.colour_intrinsics.shape + (3,)
        self._colour_noise = {lighting: ColourNoise(self.seed + 3 + i, cshape, noise)
                              for i, (lighting, (_, noise)) in enumerate(_COLOUR_SENSOR.items())}

    # -- per room, once ---------------------------------------------------------------------------
    def _room(self, background_seed: int) -> _Room:
        if background_seed in self._rooms:
            self._rooms[background_seed] = self._rooms.pop(background_seed)  # most recently used last
            return self._rooms[background_seed]
        while len(self._rooms) >= _ROOMS_KEPT:
            self._rooms.pop(next(iter(self._rooms)))
        depth_view = view_room(self.depth_rays, np.eye(3), np.zeros(3), background_seed)
        colour_view = view_room(self.colour_rays, self.r_ext, self.t_ext, background_seed)
        returned = (self._gain * depth_view.nir_reflectance * depth_view.cos_view
                    / np.maximum(depth_view.range_m, 0.1) ** 2).astype(np.float32)
        response = self._depth_response(depth_view.z_mm, returned, depth_view.cos_view,
                                        np.zeros(returned.shape, bool), (slice(None), slice(None)))
        response = response.in_raw_units(self.model)
        ir_level, ir_sigma = ir_response(returned, self.model)
        rng = np.random.default_rng([self.seed & 0xFFFFFFFF, background_seed & 0xFFFFFFFF, 0x200])
        depth_frames = tuple(encode_depth(response.draw(self._depth_noise.take(rng), self._depth_uniform.take(rng)))
                             for _ in range(_ROOM_NOISE_FRAMES))
        ir_frames = tuple(encode_ir(ir_level + ir_sigma * self._ir_noise.take(rng), self.model)
                          for _ in range(_ROOM_NOISE_FRAMES))
        room = _Room(colour_view.z_mm, {lighting: encode_colour(colour_view.colour, exposure)
                                        for lighting, (exposure, _) in _COLOUR_SENSOR.items()},
                     depth_view.z_mm, depth_view.cos_view, returned, depth_frames, ir_frames)
        self._rooms[background_seed] = room
        return room

    def prepare(self, scene: Scene) -> None:
        """Build what rendering ``scene`` needs (room views, heads, props) ahead of time."""
        self._room(scene.background_seed)
        for face in scene.faces:
            place_face(face, self.colour_intrinsics, self.model.depth_to_colour)

    # -- per frame --------------------------------------------------------------------------------
    def render_raw(self, scene: Scene, frame_index: int) -> RawFrame:
        """The frame as the sensor sends it (camera's raw depth units and invalid code)."""
        for face in scene.faces:
            self.model.check_distance(face.distance_mm)
        rng = np.random.default_rng([self.seed & 0xFFFFFFFF, int(frame_index), 0x51])
        room = self._room(scene.background_seed)
        placed = [place_face(f, self.colour_intrinsics, self.model.depth_to_colour) for f in scene.faces]
        surfaces = [s for p in placed for s in p.surfaces]
        colour_bgr, z_colour = self._render_colour(surfaces, room, scene.lighting, rng)
        depth_raw, ir = self._render_depth_and_ir(surfaces, room, rng)
        truth = SceneTruth(tuple(self._face_truths(placed)), scene.lighting.value, z_colour)
        return RawFrame(self.model.name, int(frame_index), frame_index * 1000.0 / self.fps,
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

    def _cast(self, surface: PlacedSurface, rays: RayTable, rotation: np.ndarray, translation: np.ndarray
              ) -> Hit | None:
        if surface.subsample <= 1:
            return cast(surface, rays, rotation, translation)
        key = (id(rays), surface.subsample)
        if key not in self._coarse_rays:
            self._coarse_rays[key] = rays.coarse(surface.subsample)
        hit = cast(surface, self._coarse_rays[key], rotation, translation)
        return None if hit is None else upsample(hit, surface.subsample, rays.ray_x.shape)

    def _render_colour(self, surfaces: list[PlacedSurface], room: _Room, lighting: Lighting,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """8-bit BGR and the true depth in colour geometry (z-buffer of the colour camera)."""
        exposure, _ = _COLOUR_SENSOR[lighting]
        z_buffer = room.colour_z_mm.copy()
        image = room.colour_u8[lighting].copy()
        for surface in surfaces:
            hit = self._cast(surface, self.colour_rays, self.r_ext, self.t_ext)
            if hit is None:
                continue
            z_roi = z_buffer[hit.rows, hit.cols]
            write = hit.mask & (hit.z_mm < z_roi)
            if not write.any():
                continue
            light = _AMBIENT + _KEY * np.clip(cv2.transform(hit.normal_cam, _TOWARDS_LIGHT[None, :]), 0, 1)
            if surface.material.emissive:
                # A screen shows its picture whatever the room light; its bezel is lit as usual.
                light = light * (1.0 - hit.emission) + np.float32(0.9 / exposure) * hit.emission
            shaded = encode_colour(hit.appearance[..., :3] * light[..., None], exposure)
            write_mask = write.view(np.uint8)
            cv2.copyTo(hit.z_mm, write_mask, z_roi)
            cv2.copyTo(shaded, write_mask, image[hit.rows, hit.cols])
        self._colour_noise[lighting].apply(image, rng)
        return image, z_buffer

    def _render_depth_and_ir(self, surfaces: list[PlacedSurface], room: _Room, rng: np.random.Generator
                             ) -> tuple[np.ndarray, np.ndarray]:
        """Raw depth and IR of the depth sensor: the room's fixed response, with the scene and the
        sensor physics recomputed only in the region the surfaces of this frame touch."""
        hits = [(hit, surface.material.glossy) for surface in surfaces
                if (hit := self._cast(surface, self.depth_rays, np.eye(3), np.zeros(3))) is not None]
        variant = int(rng.integers(_ROOM_NOISE_FRAMES))
        depth_raw = room.depth_frames[variant].copy()
        ir = room.ir_frames[variant].copy()
        if hits:
            gauss = self._depth_noise.take(rng)
            uniform = self._depth_uniform.take(rng)
            ir_gauss = self._ir_noise.take(rng)
            touched = hits[0][0].rows, hits[0][0].cols
            for hit, _ in hits[1:]:
                touched = _union(touched, (hit.rows, hit.cols))
            region = _widen(touched, depth_raw.shape, self.model.illuminator_baseline_mm > 0)
            z_buffer = room.depth_z_mm[region].copy()
            returned = room.returned[region].copy()
            cos_view = room.depth_cos_view[region].copy()
            glossy = np.zeros(z_buffer.shape, bool)
            for hit, glossy_surface in hits:
                self._composite_depth(hit, region, glossy_surface, z_buffer, returned, cos_view, glossy)
            pattern_lost = glossy & (uniform[region] < np.float32(self.physics.coded_glossy_dropout))
            response = self._depth_response(z_buffer, returned, cos_view, pattern_lost, region)
            depth_raw[region] = encode_depth(response.in_raw_units(self.model).draw(gauss[region], uniform[region]))
            level, sigma = ir_response(returned, self.model)
            ir[region] = encode_ir(level + sigma * ir_gauss[region], self.model)
        return depth_raw, ir

    def _depth_response(self, z_mm, returned, cos_view, pattern_lost, region) -> DepthResponse:
        if self.model.depth_principle == "coded_light":
            return coded_light_response(z_mm, returned, cos_view, pattern_lost, self.depth_rays.ray_x[region],
                                        self.model, self.physics)
        return time_of_flight_response(z_mm, returned, self.model, self.physics)

    def _composite_depth(self, hit: Hit, region: tuple[slice, slice], glossy_surface: bool, z_buffer: np.ndarray,
                         returned: np.ndarray, cos_view: np.ndarray, glossy: np.ndarray) -> None:
        """Write a hit into the region's buffers where it is the nearest surface so far."""
        local = (slice(hit.rows.start - region[0].start, hit.rows.stop - region[0].start),
                 slice(hit.cols.start - region[1].start, hit.cols.stop - region[1].start))
        z_roi = z_buffer[local]
        write = hit.mask & (hit.z_mm < z_roi)
        rays = self.depth_rays.ray_xyz[hit.rows, hit.cols]
        length = self.depth_rays.ray_length[hit.rows, hit.cols]
        cos = np.clip(-np.einsum("hwc,hwc->hw", hit.normal_cam, rays) / length, 0, 1)
        # The illuminator sits at the camera: Lambertian return falling off as 1/r².
        falloff = np.float32(self._gain) / (hit.z_mm * length * np.float32(0.001)) ** 2
        signal = hit.appearance[..., 3] * cos * falloff
        if glossy_surface:
            signal += np.float32(_GLINT) * cos ** np.float32(_GLINT_SHARPNESS) * falloff
            np.copyto(glossy[local], True, where=write)
        np.copyto(z_roi, hit.z_mm, where=write)
        np.copyto(returned[local], signal, where=write)
        np.copyto(cos_view[local], cos, where=write)

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


def _union(a: tuple[slice, slice] | None, b: tuple[slice, slice]) -> tuple[slice, slice]:
    if a is None:
        return b
    return (slice(min(a[0].start, b[0].start), max(a[0].stop, b[0].stop)),
            slice(min(a[1].start, b[1].start), max(a[1].stop, b[1].stop)))


def _widen(region: tuple[slice, slice], shape: tuple[int, int], shadows: bool) -> tuple[slice, slice]:
    """The region whose sensor response a surface can change: its own pixels, one more for edge
    effects, and for coded light the projector shadow it casts to its left."""
    rows, cols = region
    left = _SHADOW_MARGIN_PX if shadows else 2
    return (slice(max(rows.start - 2, 0), min(rows.stop + 2, shape[0])),
            slice(max(cols.start - left, 0), min(cols.stop + 2, shape[1])))
