"""The GPU backends' settings (``[engine.gpu]`` in the daemon's configuration)."""

from __future__ import annotations

from typing import Literal

import pydantic


class GpuOptions(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    #: FP16 is the product's default on GPUs; FP32 for parity checks (TF32 off as well).
    precision: Literal["fp16", "fp32"] = "fp16"
    #: Which CUDA device (``cuda.Device(n)`` / ``cuda:n``).
    device_index: int = pydantic.Field(default=0, ge=0, le=63)
    #: TensorRT optimisation profile: smallest and tuned-for face batch; the largest is
    #: engine.batch_limit.
    min_batch: int = pydantic.Field(default=1, ge=1)
    opt_batch: int = pydantic.Field(default=4, ge=1)
    #: TensorRT builder scratch memory.
    workspace_mib: int = pydantic.Field(default=512, ge=16, le=65536)
    #: torch_cuda: capture one CUDA graph per batch size (1, 2, 4, … up to batch_limit).
    cuda_graphs: bool = True

    @pydantic.model_validator(mode="after")
    def _ordered(self) -> GpuOptions:
        if self.min_batch > self.opt_batch:
            raise ValueError(f"min_batch ({self.min_batch}) must not exceed opt_batch ({self.opt_batch})")
        return self
