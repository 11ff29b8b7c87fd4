"""The frame model's own checks: bad FrameSets are refused with the field named."""

import time

import numpy as np
import pytest

from edge.frames import (
    DistortionModel,
    Extrinsics,
    FaceTruth,
    FrameSet,
    Geometry,
    Intrinsics,
    Timestamps,
)

COLOUR = Intrinsics(640, 480, 615.0, 615.0, 320.0, 240.0)
DEPTH = Intrinsics(640, 480, 475.0, 475.0, 310.0, 245.0, DistortionModel.INVERSE_BROWN_CONRADY,
                   (0.14, 0.05, 0.004, 0.002, 0.1))


def make_frameset(**override) -> FrameSet:
    fields = dict(
        camera_id="cam1",
        frame_index=0,
        timestamps=Timestamps(0.0, "simulated", time.time_ns(), time.monotonic_ns()),
        colour_bgr=np.zeros((480, 640, 3), np.uint8),
        depth_raw=np.full((480, 640), 4000, np.uint16),
        depth_scale_mm=0.125,
        ir=np.zeros((480, 640), np.uint8),
        ir_full_scale=255,
        colour_intrinsics=COLOUR,
        depth_intrinsics=DEPTH,
        depth_to_colour=Extrinsics(translation_mm=(25.0, 0.0, 4.0)),
    )
    fields.update(override)
    return FrameSet(**fields)


def test_valid_frameset_passes_and_converts_depth_to_mm():
    fs = make_frameset()
    fs.validate()
    assert fs.depth_mm()[0, 0] == pytest.approx(500.0)


@pytest.mark.parametrize(
    "override, named",
    [
        ({"colour_bgr": np.zeros((480, 640), np.uint8)}, "colour_bgr"),
        ({"colour_bgr": np.zeros((240, 320, 3), np.uint8)}, "colour_intrinsics"),
        ({"depth_raw": np.zeros((480, 640), np.float32)}, "depth_raw"),
        ({"depth_raw": np.zeros((480, 640), np.uint16), "depth_geometry": Geometry.COLOUR,
          "colour_bgr": np.zeros((480, 640, 3), np.uint8),
          "colour_intrinsics": Intrinsics(1920, 1080, 1380.0, 1380.0, 960.0, 540.0)}, "colour_bgr"),
        ({"depth_scale_mm": 0.0}, "depth_scale_mm"),
        ({"ir": np.zeros((480, 640), np.float32)}, "ir"),
        ({"ir_full_scale": 3840}, "ir_full_scale"),
    ],
)
def test_contract_violations_name_the_field(override, named):
    with pytest.raises(ValueError, match=named):
        make_frameset(**override).validate()


def test_intrinsics_refuse_wrong_coefficient_count():
    with pytest.raises(ValueError, match="rational_8 takes 8"):
        Intrinsics(640, 480, 460.0, 460.0, 320.0, 240.0, DistortionModel.RATIONAL_8, (0.1, 0.2))


def test_geometry_types_round_trip_through_dicts():
    assert Intrinsics.from_dict(DEPTH.to_dict()) == DEPTH
    ext = Extrinsics(rotation=(0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0), translation_mm=(1, 2, 3))
    assert Extrinsics.from_dict(ext.to_dict()) == ext
    np.testing.assert_allclose(ext.apply(np.array([[1.0, 0.0, 0.0]])), [[1.0, 3.0, 3.0]])
    face = FaceTruth("print_bw", 3, (1, 2, 3, 4), ((1, 1),) * 5, 700.0, yaw_deg=10)
    assert FaceTruth.from_dict(face.to_dict()) == face and not face.is_live
