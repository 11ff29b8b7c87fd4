"""Put a presented face into the camera's space: which surfaces it is made of and where they are.

A face's nose tip (for an attack, the nose tip of the face it shows) sits ``distance_mm`` in
front of the colour camera on the ray through ``position``; the face turns to look at the
camera and then by its own yaw, pitch and roll about the nose tip. A live subject brings head
and torso; a print or screen is held at arm's length by an attacker whose body shows below it;
a mask is worn over another person's face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from camera_plugins.sim.identity import Head, head_for
from camera_plugins.sim.optics import RayTable
from camera_plugins.sim.props import mask_for, print_for, screen_for, torso_for
from camera_plugins.sim.raycast import CLOTH, PAPER, SCREEN, SKIN, PlacedSurface
from camera_plugins.sim.scene import FaceSpec, Presentation
from edge.frames import Extrinsics, Intrinsics

#: How far in front of the attacker's neck a print or screen is held.
ARM_LENGTH_MM = 320.0
#: How far the wearer's nose tip is behind the mask's.
MASK_STANDOFF_MM = 22.0
#: The wearer of a mask is someone else: identities offset by this.
WEARER_OFFSET = 7919


def pose_rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """Rotation in the face's own frame: roll about the line of sight, pitch about x, yaw about y."""
    y, p, r = (math.radians(a) for a in (yaw_deg, pitch_deg, roll_deg))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


def look_at(direction: np.ndarray) -> np.ndarray:
    """Frame whose z axis runs along ``direction`` (away from the camera), y as close to down."""
    z = direction / np.linalg.norm(direction)
    x = np.cross(np.array([0.0, 1.0, 0.0]), z)
    x /= np.linalg.norm(x)
    return np.column_stack([x, np.cross(z, x), z])


@dataclass(frozen=True)
class PlacedFace:
    """The surfaces of one presentation and what truth needs to find its face again."""

    spec: FaceSpec
    surfaces: tuple[PlacedSurface, ...]
    #: The surface the face is on (head, sheet, screen or mask) and the face's head model.
    carrier: PlacedSurface
    head: Head

    def local_points_mm(self, xy_mm: np.ndarray) -> np.ndarray:
        """3D points in the depth camera's frame of local (x, y) points on the carrier."""
        xy = np.asarray(xy_mm, np.float64)
        z = self.carrier.field.depth_at(xy)
        local = np.column_stack([xy, z])
        return local @ self.carrier.rotation.T + self.carrier.origin_mm


def place_face(spec: FaceSpec, colour: Intrinsics, depth_to_colour: Extrinsics) -> PlacedFace:
    """Surfaces of ``spec`` in the depth camera's frame."""
    r_ext = depth_to_colour.rotation_matrix()
    t_ext = depth_to_colour.translation_vector_mm()
    ray = np.array(RayTable.of(colour).ray_at(spec.position[0] * colour.width_px,
                                               spec.position[1] * colour.height_px) + (1.0,))
    nose_colour = ray * spec.distance_mm
    nose = r_ext.T @ (nose_colour - t_ext)
    facing = look_at(r_ext.T @ nose_colour)
    rotation = facing @ pose_rotation(spec.yaw_deg, spec.pitch_deg, spec.roll_deg)
    head = head_for(spec.identity)
    p = spec.presentation

    def torso(identity: int, behind_mm: float, body_yaw_deg: float) -> PlacedSurface:
        body = facing @ pose_rotation(body_yaw_deg, 0.0, 0.0)
        return PlacedSurface(torso_for(identity), body, nose + facing @ np.array([0.0, 0.0, behind_mm]),
                             CLOTH, subsample=2)

    if p is Presentation.LIVE:
        carrier = PlacedSurface(head.surface, rotation, nose, SKIN, step_mm=20.0)
        surfaces = (carrier, torso(spec.identity, 80.0, 0.3 * spec.yaw_deg))
    elif p in (Presentation.PRINT_COLOUR, Presentation.PRINT_BW):
        sheet = print_for(spec.identity, p is Presentation.PRINT_COLOUR, round(spec.bend_mm))
        carrier = PlacedSurface(sheet, rotation, nose, PAPER)
        surfaces = (carrier, torso(spec.identity + WEARER_OFFSET, ARM_LENGTH_MM, 0.0))
    elif p is Presentation.SCREEN:
        carrier = PlacedSurface(screen_for(spec.identity), rotation, nose, SCREEN)
        surfaces = (carrier, torso(spec.identity + WEARER_OFFSET, ARM_LENGTH_MM, 0.0))
    else:
        carrier = PlacedSurface(mask_for(spec.identity), rotation, nose, PAPER, step_mm=20.0)
        wearer = head_for(spec.identity + WEARER_OFFSET)
        wearer_nose = nose + rotation @ np.array([0.0, 0.0, MASK_STANDOFF_MM])
        surfaces = (carrier, PlacedSurface(wearer.surface, rotation, wearer_nose, SKIN, step_mm=20.0),
                    torso(spec.identity + WEARER_OFFSET, 80.0 + MASK_STANDOFF_MM, 0.3 * spec.yaw_deg))
    return PlacedFace(spec, surfaces, carrier, head)
