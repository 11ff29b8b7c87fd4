"""Write FrameSets of one camera to a recording directory, crash-tolerantly.

Each frame's stream files are written first and its index line last, flushed at once, so a
process killed mid-recording leaves an index whose complete lines all point at complete files:
the reader replays up to the last of them. A clean close fsyncs every file and rewrites the
header (atomically) with the frame count and the index's sha256, which is what lets a reader
tell a finished recording that was later truncated from one that was cut short while writing.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from camera_plugins.base import CameraDescription
from edge.frames import FrameSet
from edge.recording.codec import check_truth_depth, encode_png, encode_truth_depth
from edge.recording.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    FRAMES_DIR,
    HEADER_FILE,
    INDEX_FILE,
    RecordingError,
    frame_file_name,
)
from edge.recording.metadata import frame_metadata, json_ready


class RecordingWriter:
    """Append FrameSets of camera ``camera_id`` to a new recording at ``path``.

    ``encode_threads`` PNG-encodes a frame's streams in parallel (OpenCV releases the GIL)."""

    def __init__(
        self,
        path: str | os.PathLike,
        camera_id: str,
        description: CameraDescription,
        encode_threads: int = 3,
    ) -> None:
        self.path = Path(path)
        self.camera_id = camera_id
        self.description = description
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise RecordingError(
                f"{self.path} already exists and is not an empty directory; "
                "choose a new output directory (recordings are never overwritten)"
            )
        (self.path / FRAMES_DIR).mkdir(parents=True, exist_ok=True)
        self._created_wall_ns = time.time_ns()
        self._frame_count = 0
        self._bytes_written = 0
        self._written_files: list[Path] = []
        self._index_hash = hashlib.sha256()
        self._first_monotonic_ns: int | None = None
        self._last_monotonic_ns: int | None = None
        self._pool = ThreadPoolExecutor(max_workers=max(1, encode_threads))
        self._write_header(complete=False)
        self._index = open(self.path / INDEX_FILE, "ab")
        self._closed = False

    @property
    def frame_count(self) -> int:
        return self._frame_count

    @property
    def bytes_written(self) -> int:
        """Bytes of stream files and index lines written so far."""
        return self._bytes_written

    def append(self, frame: FrameSet) -> None:
        """Write one frame; raises ValueError for a frame that breaks the FrameSet contract."""
        if self._closed:
            raise RecordingError(f"recording {self.path} is closed; open a new writer to record more")
        if frame.camera_id != self.camera_id:
            raise ValueError(
                f"frame from camera {frame.camera_id!r} appended to the recording of {self.camera_id!r}: "
                "record each camera to its own directory"
            )
        frame.validate()
        streams: dict[str, tuple[np.ndarray, object]] = {
            "colour": (frame.colour_bgr, encode_png),
            "depth": (frame.depth_raw, encode_png),
            "ir": (frame.ir, encode_png),
        }
        if frame.truth is not None and frame.truth.depth_in_colour_mm is not None:
            # Checked here, before any file of this frame is written.
            streams["truth_depth"] = (check_truth_depth(frame.truth.depth_in_colour_mm), encode_truth_depth)
        jobs = {
            stream: self._pool.submit(self._write_stream, stream, array, encode)
            for stream, (array, encode) in streams.items()
        }
        entry = {"sequence": self._frame_count, **frame_metadata(frame)}
        entry["files"] = {stream: job.result() for stream, job in jobs.items()}
        for file_entry in entry["files"].values():
            self._written_files.append(self.path / FRAMES_DIR / file_entry["name"])
            self._bytes_written += file_entry["bytes"]
        line = (json.dumps(json_ready(entry), separators=(",", ":")) + "\n").encode()
        self._index.write(line)
        # Flushed per frame so that a killed process leaves every complete line on disk.
        self._index.flush()
        self._index_hash.update(line)
        self._bytes_written += len(line)
        self._frame_count += 1
        monotonic_ns = frame.timestamps.host_monotonic_ns
        if self._first_monotonic_ns is None:
            self._first_monotonic_ns = monotonic_ns
        self._last_monotonic_ns = monotonic_ns

    def _write_stream(self, stream: str, array: np.ndarray, encode) -> dict:
        """Encode and write one stream file (runs in the pool); returns its index entry."""
        data = encode(array)
        name = frame_file_name(self._frame_count, stream)
        file_path = self.path / FRAMES_DIR / name
        file_path.write_bytes(data)
        return {
            "name": name,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "shape": list(array.shape),
            "dtype": array.dtype.name,
        }

    def close(self) -> None:
        """Fsync everything and mark the recording complete; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._pool.shutdown(wait=True)
        self._index.flush()
        os.fsync(self._index.fileno())
        self._index.close()
        for file_path in self._written_files:
            _fsync_path(file_path)
        _fsync_path(self.path / FRAMES_DIR)
        self._write_header(complete=True)

    def _write_header(self, complete: bool) -> None:
        header = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "camera_id": self.camera_id,
            "camera": self.description.to_dict(),
            "created_wall_ns": self._created_wall_ns,
            "complete": complete,
        }
        if complete:
            header["frame_count"] = self._frame_count
            header["index_sha256"] = self._index_hash.hexdigest()
            if self._first_monotonic_ns is not None:
                header["first_host_monotonic_ns"] = self._first_monotonic_ns
                header["last_host_monotonic_ns"] = self._last_monotonic_ns
        # Write-then-rename, so a reader sees either the old header or the new one, never half.
        temporary = self.path / (HEADER_FILE + ".tmp")
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(json_ready(header), f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path / HEADER_FILE)
        _fsync_path(self.path)

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fsync_path(path: Path) -> None:
    """Fsync a file or directory by path (directories need O_RDONLY on Linux)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
