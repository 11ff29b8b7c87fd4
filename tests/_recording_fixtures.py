"""Hand-built FrameSets with realistic dtypes, shapes and truth, for recording tests.

They stand in for camera frames only where the format itself is under test; the end-to-end
tests record the real simulator.
"""

from __future__ import annotations

import numpy as np

from camera_plugins.base import CameraDescription
from edge.frames import (
    DistortionModel,
    Extrinsics,
    FaceTruth,
    FrameSet,
    Geometry,
    Intrinsics,
    SceneTruth,
    Timestamps,
)

FRAME_PERIOD_NS = 33_333_333

DESCRIPTION = CameraDescription(
    plugin="handmade", model="SR300", serial="0123456789", firmware="3.26.1.0", sdk_version="2.54.2",
    usb_type="3.0", streams={"depth": "640x480 Z16 30fps", "ir": "640x480 Y8 30fps"},
    extra={"note": "hand-built frames"},
)


def synthetic_frame(
    index: int,
    seed: int = 0,
    ir_16bit: bool = False,
    with_truth: bool = True,
    camera_id: str = "cam0",
    period_ns: int = FRAME_PERIOD_NS,
) -> FrameSet:
    """One 640×480 frame of smooth random content plus noise, and a one-face SceneTruth."""
    rng = np.random.default_rng(seed * 100_003 + index)
    h, w = 480, 640
    # Separable smooth pattern plus small integer noise: cheap to make, realistic to compress.
    base = (np.sin(np.arange(w) / 37.0 + index)[None, :] + np.cos(np.arange(h) / 23.0)[:, None]) * 60 + 120
    base = base.astype(np.float32)
    colour = np.clip(base[..., None] + rng.integers(-6, 7, (h, w, 3), dtype=np.int16), 0, 255).astype(np.uint8)
    depth = (4800 + 800 * np.sin(np.arange(w) / 91.0)[None, :] + rng.integers(-4, 5, (h, w))).astype(np.uint16)
    depth[rng.integers(0, 33, (h, w), dtype=np.uint8) == 0] = 0
    ir_full_scale = 3840 if ir_16bit else 255
    ir = np.clip(base / 255 * ir_full_scale + rng.integers(-3, 4, (h, w), dtype=np.int16), 0, ir_full_scale)
    ir = ir.astype(np.uint16 if ir_16bit else np.uint8)
    truth = None
    if with_truth:
        truth_depth = np.zeros((h, w), np.float32)
        truth_depth[150:350, 250:400] = 600.0 + rng.random((200, 150), dtype=np.float32) * 5
        face = FaceTruth(
            presentation="print_colour", subject_id=3, box_xywh_px=(250.5, 150.25, 150.0, 200.0),
            landmarks_px=((290.1, 220.2), (360.3, 219.9), (325.0, 260.7), (300.2, 300.1), (350.4, 301.0)),
            distance_mm=600.123456789, yaw_deg=12.5, pitch_deg=-3.25, roll_deg=0.1,
        )
        truth = SceneTruth(faces=(face,), lighting="low", depth_in_colour_mm=truth_depth)
    return FrameSet(
        camera_id=camera_id,
        frame_index=index,
        timestamps=Timestamps(
            sensor_ms=1000.0 + index * period_ns / 1e6, sensor_domain="simulated",
            host_wall_ns=1_790_000_000_000_000_000 + index * period_ns,
            host_monotonic_ns=5_000_000_000 + index * period_ns,
        ),
        colour_bgr=colour,
        depth_raw=depth,
        depth_scale_mm=0.125,
        ir=ir,
        ir_full_scale=ir_full_scale,
        colour_intrinsics=Intrinsics(640, 480, 617.1, 617.3, 318.9, 241.2, DistortionModel.BROWN_CONRADY,
                                     (0.1, -0.2, 0.001, 0.002, 0.05)),
        depth_intrinsics=Intrinsics(640, 480, 475.5, 475.5, 310.0, 245.0,
                                    DistortionModel.INVERSE_BROWN_CONRADY, (0.12, 0.06, 0.004, 0.003, 0.1)),
        depth_to_colour=Extrinsics(rotation=(0.9999, -0.01, 0.003, 0.01, 0.9999, 0.002, -0.003, -0.002, 1.0),
                                   translation_mm=(25.7, 0.3, -3.9)),
        depth_geometry=Geometry.DEPTH_SENSOR,
        ir_geometry=Geometry.DEPTH_SENSOR,
        truth=truth,
    )


def assert_framesets_identical(a: FrameSet, b: FrameSet) -> None:
    """Every array byte-identical (dtype and shape included) and every metadata field equal."""
    for name in ("colour_bgr", "depth_raw", "ir"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), name
    for name in ("camera_id", "frame_index", "timestamps", "depth_scale_mm", "ir_full_scale",
                 "colour_intrinsics", "depth_intrinsics", "depth_to_colour", "depth_geometry", "ir_geometry"):
        assert getattr(a, name) == getattr(b, name), name
    assert (a.truth is None) == (b.truth is None)
    if a.truth is not None:
        assert a.truth == b.truth  # faces and lighting (the depth array is compare=False)
        x, y = a.truth.depth_in_colour_mm, b.truth.depth_in_colour_mm
        assert (x is None) == (y is None)
        if x is not None:
            assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
