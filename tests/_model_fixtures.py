"""Synthetic face arrays whose live/attack difference is learnable: depth relief vs a flat plane.

Live faces have a face-shaped depth relief (a nose bump over an ellipsoidal head, closer is
brighter); attacks are flat prints or screens with the same colour and IR texture, a random
plane tilt and noise. Colour and IR carry no class signal, so a model must read depth. Clear
16×16 targets are degraded exactly as the readers do (engines.data.degrade).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engines.data.arrays import FaceArrays
from engines.data.degrade import Degradation


def synthetic_faces(n: int, seed: int, camera_model: str = "synthetic") -> FaceArrays:
    rng = np.random.default_rng(seed)
    v, u = np.mgrid[-1:1:16j, -1:1:16j]
    inputs, targets, labels, presentation = [], [], [], []
    degradation = Degradation()
    for i in range(n):
        live = i % 2 == 0
        shade = rng.uniform(0.3, 0.8)
        texture = shade + 0.1 * rng.standard_normal((16, 16))
        colour = np.stack([texture * rng.uniform(0.8, 1.2) for _ in range(3)], axis=-1)
        ir = texture[..., None] * rng.uniform(0.7, 1.1)
        cx, cy = rng.uniform(-0.15, 0.15, size=2)
        if live:
            head = np.clip(1 - ((u - cx) / 0.8) ** 2 - ((v - cy) / 0.95) ** 2, 0, None) ** 0.5
            nose = np.exp(-(((u - cx) / 0.18) ** 2 + ((v - cy - 0.05) / 0.3) ** 2))
            depth = 0.35 + 0.3 * head + 0.2 * nose
        else:
            depth = 0.5 + rng.uniform(-0.1, 0.1) * u + rng.uniform(-0.1, 0.1) * v
        depth = depth + 0.02 * rng.standard_normal((16, 16))
        face = np.concatenate([colour, depth[..., None], ir], axis=-1).astype(np.float32)
        x, t = degradation.apply(np.round(np.clip(face, 0, 1) * 255).astype(np.uint8))
        inputs.append(x)
        targets.append(t)
        labels.append(int(live))
        presentation.append("live" if live else rng.choice(["print", "replay"]))
    labels = np.asarray(labels)
    return FaceArrays.build(np.stack(inputs), np.stack(targets), labels, presentation=presentation,
                            camera_model=[camera_model] * n, subject=[f"s{seed}_{i // 2}" for i in range(n)])


@pytest.fixture(autouse=True)
def single_thread_torch():
    """One torch thread: these tiny 8×8 networks gain nothing from more, and lose much when other
    jobs share the cores (thread oversubscription made steps ten times slower on the dev machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
