"""Shared builders for the ZeroMQ and message tests: realistic decisions and status bodies,
free loopback endpoints, and the publisher subprocess."""

from __future__ import annotations

import hashlib
import socket
import time

from edge.messages import (
    BackendInfo,
    BoxPx,
    CameraState,
    Decision,
    Drops,
    FaceDecision,
    FaceState,
    LatencyPercentiles,
    ModelInfo,
    Modality,
    Status,
)

MODEL = ModelInfo(id="afa-sr300-test", sha256=hashlib.sha256(b"afa test model").hexdigest())
BACKEND = BackendInfo(name="onnxruntime", device="cpu", precision="fp32")


def free_tcp_endpoint() -> str:
    """A loopback TCP endpoint on a port the kernel just reported free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def sample_decision(camera_id: str = "cam1", frame_index: int = 0, faces: int = 1, ttl_ms: float = 5000.0,
                    capture_wall_ns: int | None = None) -> Decision:
    captured = time.time_ns() if capture_wall_ns is None else capture_wall_ns
    states = [FaceState.LIVE, FaceState.SPOOF, FaceState.UNCERTAIN, FaceState.NOT_ENOUGH_DATA]
    return Decision(
        camera_id=camera_id,
        frame_index=frame_index,
        capture_wall_ns=captured,
        expires_wall_ns=captured + int(ttl_ms * 1e6),
        model=MODEL,
        backend=BACKEND,
        threshold=0.42,
        faces=[
            FaceDecision(
                track_id=i,
                box=BoxPx(x_px=100.0 + 60 * i, y_px=80.0, width_px=48.0, height_px=56.0),
                detector_score=0.93,
                live_score=None if states[i % 4] is FaceState.NOT_ENOUGH_DATA else 0.1 + 0.2 * (i % 4),
                state=states[i % 4],
                modality=Modality.IR if i % 2 else Modality.RGB,
                latency_ms={"detection": 7.5, "preprocessing": 1.2, "inference": 4.0},
            )
            for i in range(faces)
        ],
    )


def sample_status(camera_id: str = "cam1", period_s: float = 1.0) -> Status:
    return Status(
        camera_id=camera_id,
        camera_state=CameraState.STREAMING,
        capture_fps=30.0,
        processed_fps=29.7,
        drops=Drops(stages={"latest_frame_slot": 2}),
        backend=BACKEND,
        latency_ms={"inference": LatencyPercentiles(count=30, p50_ms=4.0, p90_ms=4.6, p99_ms=5.1, max_ms=6.0)},
        period_s=period_s,
    )
