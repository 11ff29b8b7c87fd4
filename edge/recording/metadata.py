"""Everything in a FrameSet except its pixel arrays, as JSON-ready dicts and back.

Floats go through Python's shortest round-tripping repr, so a value read back compares equal
to the value written (numpy scalars are turned into Python numbers first).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edge.frames import (
    Extrinsics,
    FaceTruth,
    FrameSet,
    Geometry,
    Intrinsics,
    SceneTruth,
    Timestamps,
)


def frame_metadata(frame: FrameSet) -> dict[str, Any]:
    """The index fields of one frame (stream files are added by the writer)."""
    meta: dict[str, Any] = {
        "frame_index": int(frame.frame_index),
        "camera_id": str(frame.camera_id),
        "timestamps": frame.timestamps.to_dict(),
        "depth_scale_mm": float(frame.depth_scale_mm),
        "ir_full_scale": int(frame.ir_full_scale),
        "colour_intrinsics": frame.colour_intrinsics.to_dict(),
        "depth_intrinsics": frame.depth_intrinsics.to_dict(),
        "depth_to_colour": frame.depth_to_colour.to_dict(),
        "depth_geometry": Geometry(frame.depth_geometry).value,
        "ir_geometry": Geometry(frame.ir_geometry).value,
        "truth": None,
    }
    if frame.truth is not None:
        meta["truth"] = {
            "lighting": frame.truth.lighting,
            "faces": [face.to_dict() for face in frame.truth.faces],
        }
    return json_ready(meta)


def frameset_from_metadata(
    meta: dict[str, Any],
    colour_bgr: np.ndarray,
    depth_raw: np.ndarray,
    ir: np.ndarray,
    truth_depth_in_colour_mm: np.ndarray | None,
) -> FrameSet:
    """Rebuild a FrameSet from its index fields and its decoded stream arrays."""
    truth = None
    if meta["truth"] is not None:
        truth = SceneTruth(
            faces=tuple(FaceTruth.from_dict(f) for f in meta["truth"]["faces"]),
            lighting=meta["truth"]["lighting"],
            depth_in_colour_mm=truth_depth_in_colour_mm,
        )
    return FrameSet(
        camera_id=meta["camera_id"],
        frame_index=int(meta["frame_index"]),
        timestamps=Timestamps.from_dict(meta["timestamps"]),
        colour_bgr=colour_bgr,
        depth_raw=depth_raw,
        depth_scale_mm=float(meta["depth_scale_mm"]),
        ir=ir,
        ir_full_scale=int(meta["ir_full_scale"]),
        colour_intrinsics=Intrinsics.from_dict(meta["colour_intrinsics"]),
        depth_intrinsics=Intrinsics.from_dict(meta["depth_intrinsics"]),
        depth_to_colour=Extrinsics.from_dict(meta["depth_to_colour"]),
        depth_geometry=Geometry(meta["depth_geometry"]),
        ir_geometry=Geometry(meta["ir_geometry"]),
        truth=truth,
    )


def json_ready(value: Any) -> Any:
    """Turn numpy scalars and tuples inside ``value`` into plain JSON types."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
