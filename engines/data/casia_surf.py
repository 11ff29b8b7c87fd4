"""Reader of the CASIA-SURF list layout: one sample per line, ``rgb_path depth_path ir_path label``.

Paths are relative to ``root`` (by default the list file's folder). The label convention differs
between releases — the original uses 1 = live, some repackaged ones 0 = live — so the caller
must say which with ``live_label``; nothing is guessed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engines.data.arrays import FaceArrays
from engines.data.degrade import Degradation
from engines.data.images import DatasetError, load_face


def read_casia_surf_list(
    list_path: str | Path,
    *,
    live_label: int,
    root: str | Path | None = None,
    degradation: Degradation = Degradation(),
    camera_model: str = "casia_surf",
) -> FaceArrays:
    """Read every sample of a list file; any bad line stops with an error naming it."""
    list_path = Path(list_path)
    if live_label not in (0, 1):
        raise DatasetError(f"live_label={live_label!r}: must be 1 (original CASIA-SURF) or 0 (some repackaged releases)")
    if not list_path.is_file():
        raise DatasetError(f"list file {list_path} not found")
    root = Path(root) if root is not None else list_path.parent
    inputs, targets, labels, subjects = [], [], [], []
    for number, line in enumerate(list_path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{list_path}:{number}"
        fields = line.split()
        if len(fields) != 4:
            raise DatasetError(f"{where}: {len(fields)} fields in {line!r}; expected 'rgb_path depth_path ir_path label'")
        rgb, depth, ir, label_text = fields
        if label_text not in ("0", "1"):
            raise DatasetError(f"{where}: label {label_text!r} is not 0 or 1 (live_label={live_label} means {live_label} = live)")
        face_input, face_target = load_face(root / rgb, root / depth, root / ir, degradation, where)
        inputs.append(face_input)
        targets.append(face_target)
        labels.append(1 if int(label_text) == live_label else 0)
        subjects.append(Path(rgb).parent.as_posix())
    if not labels:
        raise DatasetError(f"list file {list_path} holds no samples")
    labels = np.asarray(labels)
    return FaceArrays.build(
        np.stack(inputs), np.stack(targets), labels,
        presentation=np.where(labels == 1, "live", "attack"),
        camera_model=[camera_model] * len(labels),
        subject=subjects,
    )
