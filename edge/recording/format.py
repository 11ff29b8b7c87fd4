"""Names, version and errors of the on-disk recording format (see FORMAT.md beside this file).

A recording is a directory::

    recording.json      header: format name and version, camera id and description, and, once
                        the writer closed cleanly, the frame count and the index's sha256
    index.jsonl         one JSON line per frame, appended and flushed as each frame completes
    frames/             the frame's streams, one lossless file each:
        000000000.colour.png   8-bit BGR (viewed as RGB by any PNG viewer)
        000000000.depth.png    16-bit grey, raw depth units (× depth_scale_mm = millimetres)
        000000000.ir.png       8- or 16-bit grey, raw IR (full scale in the index)
        000000000.truth_depth.npz   simulator only: float32 true depth in colour geometry, mm
                                    (bits row-delta coded in byte planes, see codec.py)

Every stream file's byte size and sha256 are in its frame's index line, so a truncated or
corrupted file is found and named before its pixels are used.
"""

from __future__ import annotations

from pathlib import Path

FORMAT_NAME = "edge-fas-recording"
#: Bump on any change a reader of the previous version could misread.
FORMAT_VERSION = 1

HEADER_FILE = "recording.json"
INDEX_FILE = "index.jsonl"
FRAMES_DIR = "frames"

#: Stream key in an index line → file suffix.
STREAM_SUFFIXES = {
    "colour": "colour.png",
    "depth": "depth.png",
    "ir": "ir.png",
    "truth_depth": "truth_depth.npz",
}


def frame_file_name(sequence: int, stream: str) -> str:
    """File name of one stream of the ``sequence``-th recorded frame (0-based, in write order)."""
    return f"{sequence:09d}.{STREAM_SUFFIXES[stream]}"


def frame_file_path(root: Path, name: str) -> Path:
    return root / FRAMES_DIR / name


class RecordingError(Exception):
    """Base of every error reading or writing a recording."""


class RecordingNotFound(RecordingError, FileNotFoundError):
    """The path is not a recording directory (no header)."""


class UnsupportedRecordingVersion(RecordingError):
    """The header names a format or version this reader does not understand."""


class CorruptRecording(RecordingError):
    """A header, index line or frame file is missing, truncated or does not match its checksum."""
