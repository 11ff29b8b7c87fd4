"""Training augmentation (paper Section V-A2): flip, rotation, resize, crop, modality erasing.

One random transform per face, applied identically to all five channels and to both the 8×8
input and its 16×16 target (the same affine map in normalised coordinates), so that modalities
stay aligned and the SR target stays the clear version of the input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from engines.afa.network import MODALITY_SLICES



@dataclass(frozen=True)
class Augmentation:
    flip_probability: float = 0.5
    max_rotation_deg: float = 10.0
    scale_range: tuple[float, float] = (0.9, 1.1)  # "resize": zoom in or out about the centre
    max_shift_fraction: float = 0.1  # "crop": shift of the crop window, as a fraction of the face size
    erase_probability: float = 0.2  # modality erasing as FaceBagNet: a whole modality set to 0

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor | None, generator: torch.Generator):
        n, device = inputs.shape[0], inputs.device
        uniform = lambda low, high: low + (high - low) * torch.rand(n, generator=generator).to(device)
        angle = uniform(-1, 1) * math.radians(self.max_rotation_deg)
        scale = uniform(*self.scale_range)
        flip = torch.where(torch.rand(n, generator=generator).to(device) < self.flip_probability, -1.0, 1.0)
        shift = torch.stack([uniform(-1, 1), uniform(-1, 1)], dim=1) * 2 * self.max_shift_fraction
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        # Output pixel → source location: rotation and zoom, then the horizontal flip on the x column.
        theta = torch.stack([torch.stack([cos * flip, -sin, shift[:, 0]], 1), torch.stack([sin * flip, cos, shift[:, 1]], 1)], 1)
        warp = lambda images: F.grid_sample(
            images, F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False),
            mode="bilinear", padding_mode="border", align_corners=False,
        )
        inputs = warp(inputs)
        targets = warp(targets) if targets is not None else None
        erase = torch.rand(n, generator=generator) < self.erase_probability
        which = torch.randint(len(MODALITY_SLICES), (n,), generator=generator)
        for index in torch.nonzero(erase).flatten().tolist():
            # Only the input loses the modality: the target stays, MFAM learns to recover it from the others.
            inputs[index, MODALITY_SLICES[int(which[index])]] = 0
        return inputs, targets
