"""Live scores of a PyTorch model over an array of faces, in batches (training and evaluation)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


@torch.no_grad()
def live_scores(model: nn.Module, inputs: np.ndarray, device: str | torch.device = "cpu", batch_size: int = 1024) -> np.ndarray:
    was_training = model.training
    model.eval()
    scores = [
        model.live_score(torch.from_numpy(inputs[start : start + batch_size]).to(device)).float().cpu().numpy()
        for start in range(0, len(inputs), batch_size)
    ]
    model.train(was_training)
    return np.concatenate(scores) if scores else np.zeros(0, np.float32)
