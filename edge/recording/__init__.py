"""Recordings: FrameSets of one camera on disk, lossless, with integrity checks (FORMAT.md)."""

from edge.recording.format import (
    FORMAT_VERSION,
    CorruptRecording,
    RecordingError,
    RecordingNotFound,
    UnsupportedRecordingVersion,
)
from edge.recording.reader import Recording
from edge.recording.writer import RecordingWriter

__all__ = [
    "FORMAT_VERSION",
    "CorruptRecording",
    "Recording",
    "RecordingError",
    "RecordingNotFound",
    "RecordingWriter",
    "UnsupportedRecordingVersion",
]
