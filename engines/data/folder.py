"""Reader of a plain folder layout, for users' own captures.

    root/live/<sample>/rgb.png, depth.png, ir.png
    root/<attack type>/<sample>/rgb.png, depth.png, ir.png     (e.g. print, replay, mask)

Every folder other than ``live`` is an attack of the type it is named after. Images are 8-bit
aligned face crops (depth and IR already quantised as the preprocessing spec prescribes); any
of .png, .jpg, .bmp.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engines.data.arrays import FaceArrays
from engines.data.degrade import Degradation
from engines.data.images import DatasetError, load_face

LIVE_FOLDER = "live"
_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


def _modality_file(sample: Path, name: str) -> Path:
    for suffix in _SUFFIXES:
        if (sample / f"{name}{suffix}").is_file():
            return sample / f"{name}{suffix}"
    return sample / f"{name}.png"  # reported as missing by the loader, with the sample named


def read_face_folder(root: str | Path, *, degradation: Degradation = Degradation(), camera_model: str = "unknown") -> FaceArrays:
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} not found")
    inputs, targets, labels, presentation, subjects = [], [], [], [], []
    for kind in sorted(p for p in root.iterdir() if p.is_dir()):
        for sample in sorted(p for p in kind.iterdir() if p.is_dir()):
            files = [_modality_file(sample, m) for m in ("rgb", "depth", "ir")]
            face_input, face_target = load_face(*files, degradation, where=str(sample))
            inputs.append(face_input)
            targets.append(face_target)
            labels.append(1 if kind.name == LIVE_FOLDER else 0)
            presentation.append(kind.name)
            subjects.append(sample.name)
    if not labels:
        raise DatasetError(f"dataset folder {root} holds no samples: expected root/<live|attack type>/<sample>/{{rgb,depth,ir}}.png")
    return FaceArrays.build(np.stack(inputs), np.stack(targets), np.asarray(labels), presentation=presentation,
                            camera_model=[camera_model] * len(labels), subject=subjects)
