"""A dataset of preprocessed faces held as arrays, and its npz file format.

npz keys (what the simulator dataset generator writes and the readers produce):
``inputs`` N×5×8×8 float32 (r, g, b, depth, ir; degraded), ``targets`` N×5×16×16 float32
(clear super-resolution targets), ``labels`` N int (1 = live, 0 = attack), ``presentation`` N str
(``live`` or the attack type), ``camera_model`` N str, ``subject`` N str (identity); optionally
``preprocess_spec``, a 0-d string holding the JSON of the ``PreprocessSpec.to_dict()`` the faces were
prepared with (checked against the spec a model is trained for).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REQUIRED_KEYS = ("inputs", "targets", "labels")
CHANNELS = 5


@dataclass(frozen=True)
class FaceArrays:
    inputs: np.ndarray
    targets: np.ndarray
    labels: np.ndarray
    presentation: np.ndarray
    camera_model: np.ndarray
    subject: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.labels)
        if self.inputs.ndim != 4 or self.inputs.shape[:2] != (n, CHANNELS):
            raise ValueError(f"inputs has shape {self.inputs.shape}: expected (N={n}, {CHANNELS}, H, W) in order r,g,b,depth,ir")
        if self.targets.ndim != 4 or self.targets.shape[:2] != (n, CHANNELS):
            raise ValueError(f"targets has shape {self.targets.shape}: expected (N={n}, {CHANNELS}, 2H, 2W)")
        if self.targets.shape[2:] != tuple(2 * s for s in self.inputs.shape[2:]):
            raise ValueError(f"targets are {self.targets.shape[2:]} but inputs {self.inputs.shape[2:]}: targets must be twice the input size")
        bad = sorted(set(np.unique(self.labels).tolist()) - {0, 1})
        if bad:
            raise ValueError(f"labels contain {bad}: labels must be 1 (live) or 0 (attack)")
        for key in ("presentation", "camera_model", "subject"):
            if len(getattr(self, key)) != n:
                raise ValueError(f"{key} has {len(getattr(self, key))} entries for {n} faces")

    def __len__(self) -> int:
        return len(self.labels)

    @classmethod
    def build(cls, inputs, targets, labels, presentation=None, camera_model=None, subject=None) -> "FaceArrays":
        n = len(labels)
        labels = np.asarray(labels).astype(np.int64)
        default_presentation = np.where(labels == 1, "live", "attack")
        return cls(
            inputs=np.ascontiguousarray(inputs, dtype=np.float32),
            targets=np.ascontiguousarray(targets, dtype=np.float32),
            labels=labels,
            presentation=np.asarray(default_presentation if presentation is None else presentation).astype(str),
            camera_model=np.asarray(["unknown"] * n if camera_model is None else camera_model).astype(str),
            subject=np.asarray(["unknown"] * n if subject is None else subject).astype(str),
        )

    def subset(self, mask_or_indices) -> "FaceArrays":
        pick = np.asarray(mask_or_indices)
        return FaceArrays(*(getattr(self, k)[pick] for k in ("inputs", "targets", "labels", "presentation", "camera_model", "subject")))

    def save(self, path: str | Path) -> None:
        np.savez_compressed(path, inputs=self.inputs, targets=self.targets, labels=self.labels,
                            presentation=self.presentation, camera_model=self.camera_model, subject=self.subject)

    @staticmethod
    def concatenate(parts: list["FaceArrays"]) -> "FaceArrays":
        keys = ("inputs", "targets", "labels", "presentation", "camera_model", "subject")
        return FaceArrays(*(np.concatenate([getattr(p, k) for p in parts]) for k in keys))


def load_npz(path: str | Path) -> FaceArrays:
    """Load a face dataset written by the simulator generator or ``FaceArrays.save``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"dataset {path} not found: give an .npz written by the dataset generator")
    with np.load(path, allow_pickle=False) as data:
        missing = [k for k in REQUIRED_KEYS if k not in data.files]
        if missing:
            raise ValueError(f"dataset {path} lacks keys {missing}: an npz needs {list(REQUIRED_KEYS)} (+ presentation, camera_model, subject)")
        optional = {k: data[k] for k in ("presentation", "camera_model", "subject") if k in data.files}
        try:
            return FaceArrays.build(data["inputs"], data["targets"], data["labels"], **optional)
        except ValueError as error:
            raise ValueError(f"dataset {path}: {error}") from error


def npz_preprocess(path: str | Path) -> dict | None:
    """The preprocessing spec an npz records (key ``preprocess_spec``, JSON), or None."""
    with np.load(path, allow_pickle=False) as data:
        return json.loads(str(data["preprocess_spec"])) if "preprocess_spec" in data.files else None
