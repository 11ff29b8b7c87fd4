"""Open a dataset from a path by its kind: ``.npz`` arrays, a CASIA-SURF list file, or a folder."""

from __future__ import annotations

from pathlib import Path

from engines.data.arrays import FaceArrays, load_npz, npz_preprocess
from engines.data.casia_surf import read_casia_surf_list
from engines.data.degrade import Degradation
from engines.data.folder import read_face_folder
from engines.data.images import DatasetError


def open_dataset(path: str | Path, *, live_label: int | None = None, degradation: Degradation = Degradation(),
                 camera_model: str | None = None, expected_preprocess: dict | None = None) -> FaceArrays:
    """``live_label`` is required for CASIA-SURF lists (which label value means live: 1 or 0).

    An npz that records its preprocessing spec must match ``expected_preprocess`` (when given):
    a model trained on faces prepared one way must not be described as expecting another.
    """
    path = Path(path)
    if path.suffix == ".npz":
        data = load_npz(path)
        recorded = npz_preprocess(path)
        if expected_preprocess is not None and recorded is not None and recorded != expected_preprocess:
            differing = sorted(k for k in recorded.keys() | expected_preprocess.keys() if recorded.get(k) != expected_preprocess.get(k))
            raise DatasetError(f"dataset {path} was made with another preprocessing spec (differs in {differing}); "
                               "pass that spec with --preprocess or regenerate the dataset")
        return data
    if path.is_dir():
        return read_face_folder(path, degradation=degradation, camera_model=camera_model or "unknown")
    if path.is_file():
        if live_label is None:
            raise DatasetError(f"{path} is read as a CASIA-SURF list: say which label means live with --live-label 1 (original release) or 0")
        return read_casia_surf_list(path, live_label=live_label, degradation=degradation, camera_model=camera_model or "casia_surf")
    raise DatasetError(f"dataset {path} not found: give an .npz file, a CASIA-SURF list file or a folder")
