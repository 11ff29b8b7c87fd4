"""A tiny stand-in for the AFA model, exported by the tests themselves to ONNX and torch.export.

It has AFA's contract (input ``faces`` N×5×8×8 float32, output ``live_score`` (N,) = softmax
probability of live) but a handful of weights, so the backends can be compared without the
shipped model. Its weights come from a fixed seed, so every export is the same network.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def tiny_live_score_net():
    import torch

    class TinyLiveScore(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = torch.nn.Sequential(
                torch.nn.Conv2d(5, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                torch.nn.Conv2d(8, 8, 3, padding=1, groups=4), torch.nn.ReLU(),
                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 2),
            )

        def forward(self, faces):
            return torch.softmax(self.features(faces), dim=1)[:, 1]

    torch.manual_seed(1234)
    net = TinyLiveScore()
    with torch.no_grad():  # non-trivial BN statistics so eval mode differs from identity
        net.features[1].running_mean.uniform_(-0.5, 0.5)
        net.features[1].running_var.uniform_(0.5, 2.0)
    return net.eval()


def export_tiny_onnx(directory: Path) -> Path:
    import torch

    path = directory / "tiny.onnx"
    torch.onnx.export(
        tiny_live_score_net(), (torch.zeros(2, 5, 8, 8),), str(path), input_names=["faces"],
        output_names=["live_score"], dynamic_axes={"faces": {0: "n"}, "live_score": {0: "n"}},
        opset_version=17, dynamo=False,
    )
    return path


def export_tiny_pt2(directory: Path) -> Path:
    import torch

    path = directory / "tiny.pt2"
    batch = torch.export.Dim("n", min=1, max=64)
    program = torch.export.export(tiny_live_score_net(), (torch.zeros(2, 5, 8, 8),),
                                  dynamic_shapes={"faces": {0: batch}})
    torch.export.save(program, str(path))
    return path


def random_faces(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 1.0, (n, 5, 8, 8)).astype(np.float32)
