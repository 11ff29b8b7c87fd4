"""Open a recording, check its integrity, and give back its FrameSets.

Opening checks the header, the format version, every index line, and every frame file's
existence and size — cheap checks that find a truncated recording before playback starts.
Each frame's sha256 is checked when that frame is read, so opening a long recording stays fast.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from camera_plugins.base import CameraDescription
from edge.frames import FrameSet
from edge.recording.codec import decode_png, decode_truth_depth
from edge.recording.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    FRAMES_DIR,
    HEADER_FILE,
    INDEX_FILE,
    CorruptRecording,
    RecordingNotFound,
    UnsupportedRecordingVersion,
)
from edge.recording.metadata import frameset_from_metadata

log = logging.getLogger(__name__)

_ENTRY_KEYS = (
    "frame_index", "camera_id", "timestamps", "depth_scale_mm", "ir_full_scale", "colour_intrinsics",
    "depth_intrinsics", "depth_to_colour", "depth_geometry", "ir_geometry", "truth", "files",
)


class Recording:
    """A recording opened for reading: header facts, the index, and frame access by position."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.header = _read_header(self.path)
        self.camera_id: str = self.header["camera_id"]
        self.description = CameraDescription.from_dict(self.header["camera"])
        #: False when the writer never closed (killed): playback stops at the last complete frame.
        self.complete: bool = bool(self.header["complete"])
        self.entries: list[dict[str, Any]] = _read_index(self.path, self.header)
        for position, entry in enumerate(self.entries):
            _check_files_present(self.path, entry, position)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[FrameSet]:
        return (self.frame(position) for position in range(len(self.entries)))

    def host_monotonic_ns(self, position: int) -> int:
        """When the frame at ``position`` arrived at the recording host (for paced playback)."""
        return int(self.entries[position]["timestamps"]["host_monotonic_ns"])

    @property
    def total_bytes(self) -> int:
        """Bytes on disk: header, index and every frame file."""
        files = sum(f["bytes"] for entry in self.entries for f in entry["files"].values())
        return files + (self.path / HEADER_FILE).stat().st_size + (self.path / INDEX_FILE).stat().st_size

    def frame(self, position: int) -> FrameSet:
        """Load, verify and decode the frame at ``position`` (0-based, in recording order)."""
        entry = self.entries[position]
        arrays = {
            stream: self._load_stream(entry, stream, position) for stream in entry["files"]
        }
        return frameset_from_metadata(
            entry,
            colour_bgr=arrays["colour"],
            depth_raw=arrays["depth"],
            ir=arrays["ir"],
            truth_depth_in_colour_mm=arrays.get("truth_depth"),
        )

    def _load_stream(self, entry: dict, stream: str, position: int) -> np.ndarray:
        spec = entry["files"][stream]
        file_path = self.path / FRAMES_DIR / spec["name"]
        what = f"{file_path} (frame {entry['frame_index']}, recording position {position}, {stream})"
        try:
            data = file_path.read_bytes()
        except OSError as e:
            raise CorruptRecording(f"{what}: cannot be read: {e}") from e
        if hashlib.sha256(data).hexdigest() != spec["sha256"]:
            raise CorruptRecording(
                f"{what}: sha256 does not match the index (file corrupted or replaced; "
                f"{len(data)} bytes on disk, {spec['bytes']} recorded)"
            )
        array = decode_truth_depth(data, what) if stream == "truth_depth" else decode_png(data, what)
        if list(array.shape) != spec["shape"] or array.dtype.name != spec["dtype"]:
            raise CorruptRecording(
                f"{what}: decoded {array.dtype.name} {list(array.shape)}, "
                f"index says {spec['dtype']} {spec['shape']}"
            )
        return array


def _read_header(root: Path) -> dict[str, Any]:
    header_path = root / HEADER_FILE
    if not header_path.is_file():
        raise RecordingNotFound(
            f"no recording at {root}: {HEADER_FILE} not found "
            "(give the directory that edge-record wrote)"
        )
    try:
        header = json.loads(header_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CorruptRecording(f"{header_path}: not valid JSON: {e}") from e
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise UnsupportedRecordingVersion(
            f"{header_path}: format is {header.get('format') if isinstance(header, dict) else header!r}, "
            f"expected {FORMAT_NAME!r}"
        )
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise UnsupportedRecordingVersion(
            f"{header_path}: format_version {version!r} is not supported; this reader reads "
            f"version {FORMAT_VERSION} (replay it with the edge-fas release that recorded it)"
        )
    missing = [k for k in ("camera_id", "camera", "complete") if k not in header]
    if missing:
        raise CorruptRecording(f"{header_path}: missing keys {missing}")
    return header


def _read_index(root: Path, header: dict[str, Any]) -> list[dict[str, Any]]:
    index_path = root / INDEX_FILE
    try:
        raw = index_path.read_bytes()
    except FileNotFoundError as e:
        raise CorruptRecording(f"{index_path}: missing (the recording has no frame index)") from e
    lines = raw.split(b"\n")
    # Everything after the last newline is a line the writer had not finished.
    unfinished = lines.pop()
    if header["complete"]:
        expected = header.get("frame_count")
        if unfinished or len(lines) != expected:
            raise CorruptRecording(
                f"{index_path}: truncated or extended after the recording was closed: the header "
                f"says {expected} frames, the index holds {len(lines)} complete lines"
                + (" and a partial one" if unfinished else "")
            )
        if hashlib.sha256(raw).hexdigest() != header.get("index_sha256"):
            raise CorruptRecording(f"{index_path}: sha256 does not match the header (index edited or corrupted)")
    elif unfinished:
        log.warning(
            "%s: the writer did not finish (process killed?); replaying the %d complete frames",
            index_path, len(lines),
        )
    entries = []
    for line_number, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise CorruptRecording(f"{index_path}: line {line_number} is not valid JSON: {e}") from e
        if not isinstance(entry, dict) or entry.get("sequence") != line_number - 1:
            raise CorruptRecording(
                f"{index_path}: line {line_number} is not frame entry {line_number - 1} of this recording"
            )
        missing = [key for key in _ENTRY_KEYS if key not in entry]
        if missing:
            raise CorruptRecording(f"{index_path}: line {line_number} lacks {missing}")
        entries.append(entry)
    return entries


def _check_files_present(root: Path, entry: dict[str, Any], position: int) -> None:
    for stream in ("colour", "depth", "ir"):
        if stream not in entry["files"]:
            raise CorruptRecording(f"{root / INDEX_FILE}: frame {entry['frame_index']} lists no {stream} file")
    for stream, spec in entry["files"].items():
        file_path = root / FRAMES_DIR / spec["name"]
        try:
            size = file_path.stat().st_size
        except FileNotFoundError as e:
            raise CorruptRecording(
                f"{file_path} (frame {entry['frame_index']}, recording position {position}, {stream}): missing"
            ) from e
        if size != spec["bytes"]:
            raise CorruptRecording(
                f"{file_path} (frame {entry['frame_index']}, recording position {position}, {stream}): "
                f"{size} bytes on disk, {spec['bytes']} recorded (truncated or overwritten)"
            )
