"""Shared builders for the ZeroMQ and message tests: realistic decisions and status bodies,
free loopback endpoints, and the publisher subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

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
from edge.publishing.config import PublishConfig

MODEL = ModelInfo(id="afa-sr300-test", sha256=hashlib.sha256(b"afa test model").hexdigest())
BACKEND = BackendInfo(name="onnxruntime", device="cpu", precision="fp32")
_SCORES = {FaceState.LIVE: 0.91, FaceState.SPOOF: 0.07, FaceState.UNCERTAIN: 0.44, FaceState.NOT_ENOUGH_DATA: None}


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
                live_score=_SCORES[states[i % 4]],
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


class PublisherProcess:
    """Drives ``tests/_zmq_publisher_proc.py`` (a real Publisher in another process)."""

    SCRIPT = Path(__file__).with_name("_zmq_publisher_proc.py")

    def __init__(self, config: PublishConfig) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(self.SCRIPT), config.model_dump_json()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
        self._buffer = b""
        word, detail = self._read_line()
        if word != "READY":
            self.process.wait(10)
            raise RuntimeError(f"publisher process did not start: {word} {detail}")
        bound = json.loads(detail)
        self.endpoints: list[str] = bound["endpoints"]
        self.snapshot_endpoints: list[str] = bound["snapshot_endpoints"]

    def send(self, command: str) -> None:
        self.process.stdin.write(command.encode() + b"\n")
        self.process.stdin.flush()

    def ask(self, command: str, answer: str, timeout_s: float = 60.0) -> dict:
        """Send a command and return the JSON of the reply line starting with ``answer``."""
        self.send(command)
        word, detail = self._read_line(timeout_s)
        if word != answer:
            raise RuntimeError(f"{command!r}: expected {answer}, got {word} {detail}")
        return json.loads(detail)

    def wait_until_live(self, subscriber, camera_id: str = "warmup", timeout_s: float = 10.0) -> None:
        """Publish warm-up status until ``subscriber`` receives one: its subscription is then live."""
        self.send(f"warmup {camera_id}")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if subscriber.receive(timeout_ms=100) is not None:
                self.send("noop")  # ends the warm-up
                return
        raise TimeoutError(f"no warm-up message reached the subscriber within {timeout_s} s")

    def quit(self, timeout_s: float = 10.0) -> dict:
        reply = self.ask("quit", "STOPPED", timeout_s)
        self.process.wait(timeout_s)
        return reply

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def _read_line(self, timeout_s: float = 30.0) -> tuple[str, str]:
        # os.read, not readline: Python's buffer would hide lines from select().
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError(f"publisher process said nothing for {timeout_s} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError(f"publisher process exited (code {self.process.wait(10)})")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        word, _, detail = line.decode().strip().partition(" ")
        return word, detail
