"""Atomic file replacement: readers see the old file or the whole new one, never a part.

An engine build can take minutes and a daemon can be killed at any moment of it (systemd's start
timeout, a power cut on a Jetson). The bytes go to a temporary file in the same directory, are
flushed to disk, and replace the target with ``os.replace`` (atomic on POSIX within one file
system); the directory is synced so the rename itself survives a crash.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def atomic_write_bytes(path: str | Path, chunks: bytes | Iterable[bytes]) -> Path:
    """Write ``chunks`` (bytes, or an iterable of byte chunks) to ``path`` atomically.

    If anything fails before the rename, the target is untouched and the temporary file removed."""
    path = Path(path)
    if isinstance(chunks, (bytes, bytearray, memoryview)):
        chunks = (bytes(chunks),)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode())


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
