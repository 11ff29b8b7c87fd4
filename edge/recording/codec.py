"""Lossless encoding of one stream array to file bytes, and back.

Colour, depth and IR are PNG (8-bit BGR, 16-bit grey, 8/16-bit grey): lossless, readable by
every image tool, and about half the raw size on camera frames. The simulator's true depth is
float32, which PNG cannot hold, so it is a one-array ``.npz`` (numpy's zip of ``.npy``), deflated
at level 1 because the faster level costs little size on mostly-empty depth.
"""

from __future__ import annotations

import io
import zipfile

import cv2
import numpy as np

from edge.recording.format import CorruptRecording

#: zlib level for PNG: 1 is ~2× faster than the default with a few % larger files.
PNG_COMPRESSION_LEVEL = 1
#: Huffman-only skips the match search: faster and, on sensor noise, no larger.
PNG_STRATEGY = cv2.IMWRITE_PNG_STRATEGY_HUFFMAN_ONLY
_TRUTH_MEMBER = "depth_in_colour_mm.npy"


def encode_png(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(
        ".png",
        image,
        [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION_LEVEL, cv2.IMWRITE_PNG_STRATEGY, PNG_STRATEGY],
    )
    if not ok:
        raise ValueError(f"PNG encoding failed for a {image.dtype} array of shape {image.shape}")
    return encoded.tobytes()


def decode_png(data: bytes, what: str) -> np.ndarray:
    """Decode PNG bytes keeping depth and channels; ``what`` names the file in errors."""
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise CorruptRecording(f"{what}: not a decodable PNG")
    return image


def encode_truth_depth(depth_in_colour_mm: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(_TRUTH_MEMBER, "w") as member:
            np.lib.format.write_array(member, np.ascontiguousarray(depth_in_colour_mm))
    return buffer.getvalue()


def decode_truth_depth(data: bytes, what: str) -> np.ndarray:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(_TRUTH_MEMBER) as member:
            return np.lib.format.read_array(member, allow_pickle=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise CorruptRecording(f"{what}: not a readable .npz with {_TRUTH_MEMBER}: {e}") from e
