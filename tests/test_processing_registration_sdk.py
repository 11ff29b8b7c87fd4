"""Our registration against librealsense's own ``rs.align`` on simulated SR300 frames.

The frames go through a real ``rs.software_device`` → ``rs.recorder`` → playback pipeline (see
edge/processing/rs_reference.py), so rs.align sees them exactly as it sees a camera's."""

import dataclasses
import functools

import numpy as np
import pytest

from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scene import FaceSpec, Presentation, Scene
from edge.frames import Extrinsics
from edge.processing.registration import DepthRegistration
from edge.processing.rs_reference import align_to_colour
from tests._processing_scenes import rotation_xyz

EXTRINSICS = {
    "sim": None,  # the simulated SR300's own calibration
    "wide_baseline": Extrinsics(rotation_xyz((0.8, -1.5, 0.4)), (48.0, 1.5, -2.0)),
    "vertical": Extrinsics(rotation_xyz((-1.2, 0.6, -0.7)), (-5.0, 30.0, 6.0)),
}


@functools.lru_cache(maxsize=2)
def sim_frame(resolution: str):
    scene = Scene(
        faces=(
            FaceSpec(distance_mm=550.0, position=(0.35, 0.45), yaw_deg=20.0),
            FaceSpec(Presentation.PRINT_COLOUR, identity=3, distance_mm=800.0, position=(0.7, 0.5)),
        )
    )
    return SimRenderer("sr300", resolution, seed=4).render(scene, 0)


@pytest.mark.parametrize("extrinsics", EXTRINSICS)
@pytest.mark.parametrize("resolution", ["640x480", "1920x1080"])
def test_registration_agrees_with_rs_align(resolution, extrinsics, tmp_path):
    fs = sim_frame(resolution)
    if EXTRINSICS[extrinsics] is not None:
        fs = dataclasses.replace(fs, depth_to_colour=EXTRINSICS[extrinsics])
    # The first frameset of a playback may be dropped: record the frame twice.
    theirs = align_to_colour([fs, fs], tmp_path)
    assert theirs, "librealsense played back no frameset"
    reference = next(iter(theirs.values()))
    ours = DepthRegistration.from_frameset(fs).full(fs.depth_raw, fs.depth_scale_mm, fs.ir).depth_mm

    both = (ours > 0) & (reference > 0)
    assert both.mean() > 0.3, "the faces, bodies and near furniture should give depth"
    agree = np.abs(ours[both] - reference[both]) <= 1.0
    assert agree.mean() >= 0.99
    # And the same pixels are valid: neither leaves holes the other fills.
    assert both.sum() >= 0.99 * (reference > 0).sum()
    assert both.sum() >= 0.99 * (ours > 0).sum()
