"""The simulated datasets the experiments use, fixed here so every script draws the same ones.

Per camera model: a training set (train identities) and a held-out test set (test identities,
another seed), each generated once by ``engines.data.simulated`` and cached under
``build/sim_data/``. The validation set (model selection and threshold calibration) is
``VAL_FRACTION`` of the training identities, held out by ``engines.train.split_by_subject``:
no validation person is trained on, and no test person is seen before the test.
"""

from __future__ import annotations

from pathlib import Path

from engines.data.arrays import FaceArrays
from engines.data.simulated import CAMERA_MODELS, SimDatasetConfig, build_cached
from engines.train import split_by_subject

DATA_DIR = Path("build/sim_data")

#: (split, scenes per camera model, seed, scenes per identity)
SPLITS = {
    "train": ("train", 5000, 101, 16),
    "test": ("test", 400, 303, 8),
}
VAL_FRACTION = 0.15
VAL_SEED = 202


def config_for(camera_model: str, part: str) -> SimDatasetConfig:
    split, samples, seed, per_identity = SPLITS[part]
    return SimDatasetConfig(camera_model=camera_model, samples=samples, seed=seed, split=split,
                            per_identity=per_identity)


def dataset(camera_model: str, part: str, data_dir: Path = DATA_DIR) -> FaceArrays:
    """The ``part`` ("train", "val", "test") of one camera model, generated on first use."""
    if part in ("train", "val"):
        data = build_cached(config_for(camera_model, "train"), data_dir / f"{camera_model}_train.npz", progress=True)
        train, val = split_by_subject(data, VAL_FRACTION, VAL_SEED)
        return train if part == "train" else val
    return build_cached(config_for(camera_model, part), data_dir / f"{camera_model}_{part}.npz", progress=True)


def main() -> int:
    for part in SPLITS:
        for camera_model in CAMERA_MODELS:
            print(f"{camera_model} {part}: {len(dataset(camera_model, part))} faces")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
