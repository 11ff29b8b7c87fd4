"""The preprocessing spec: every choice that turns a face into the model's input tensor.

The model's sidecar carries ``to_dict()`` of the spec it was trained with, and the daemon
refuses a model whose ``fingerprint()`` differs from its own spec's, so training and serving
can never diverge. Defaults are the paper's (Sections III-E, III-F, V-A2).

The steps, in order (``face_input.prepare_face``):

1. Crop: the detector box widened ``crop_scale``× about its centre (III-E, Table 4), rounded
   to whole pixels; the same region of colour, depth and IR (depth and IR registered to
   colour first). Outside the image, colour repeats its edge pixels and depth/IR are holes.
2. Depth (III-F, Algorithms 1 and 2, always in millimetres): mean — and for ``alg1`` the
   minimum and maximum — of the valid depth inside the *detector* box. Too few valid
   pixels (``min_valid_depth_fraction`` of the box) or a mean outside
   ``working_range_mm`` → not enough data. Holes in the portrait (crop) box become the
   mean. Quantised to 8 bits, closer brighter (``depth.py`` documents the curve): fine
   inside [min, max] (``alg2``: mean ± ``depth_window_mm``), coarse beyond.
3. IR: uniform from the sensor's full scale to 8 bits (``ir.py``); IR pixels without depth
   (registration holes) take the mean IR of the valid detector-box pixels.
4. Model input: each 8-bit channel resized to ``target_size_px`` (area interpolation; the
   clear super-resolution target), that resized to ``input_size_px`` (area) and blurred
   with a ``blur_kernel_px`` Gaussian of ``blur_sigma_px`` (the degraded input), channels
   in ``channels`` order, then ``normalisation``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

import pydantic

#: The only normalisation so far: an 8-bit level v becomes v / 255 (float32 in [0, 1]).
UNIT_RANGE = "uint8_over_255"


class PreprocessSpec(pydantic.BaseModel):
    """Frozen; unknown keys are an error (a typo in a sidecar must not pass silently)."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    #: Bumped when the meaning of a field or a step above changes.
    spec_version: Literal[1] = 1
    crop_scale: float = pydantic.Field(1.3, ge=1.0, le=3.0)
    depth_algorithm: Literal["alg1", "alg2"] = "alg2"
    #: Alg. 2's half window: maximum = mean + this, minimum = mean − this.
    depth_window_mm: float = pydantic.Field(50.0, gt=0.0, le=1000.0)
    min_valid_depth_fraction: float = pydantic.Field(0.5, gt=0.0, le=1.0)
    #: Mean face depth outside this range → not enough data (both cameras' near modes).
    working_range_mm: tuple[float, float] = (200.0, 1500.0)
    input_size_px: int = pydantic.Field(8, ge=2, le=512)
    target_size_px: int = pydantic.Field(16, ge=2, le=1024)
    blur_kernel_px: int = pydantic.Field(3, ge=1, le=31)
    blur_sigma_px: float = pydantic.Field(1.5, gt=0.0, le=20.0)
    channels: tuple[Literal["r", "g", "b", "depth", "ir"], ...] = ("r", "g", "b", "depth", "ir")
    normalisation: Literal["uint8_over_255"] = UNIT_RANGE

    @pydantic.field_validator("working_range_mm")
    @classmethod
    def _range_ordered(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0.0 < v[0] < v[1]:
            raise ValueError(f"working_range_mm must be (near, far) with 0 < near < far, got {v}")
        return v

    @pydantic.field_validator("blur_kernel_px")
    @classmethod
    def _kernel_odd(cls, v: int) -> int:
        if v % 2 == 0:
            raise ValueError(f"blur_kernel_px must be odd (OpenCV's Gaussian needs it), got {v}")
        return v

    @pydantic.field_validator("channels")
    @classmethod
    def _channels_unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v or len(set(v)) != len(v):
            raise ValueError(f"channels must name each of r, g, b, depth, ir at most once, got {v}")
        return v

    @pydantic.model_validator(mode="after")
    def _sizes_ordered(self) -> PreprocessSpec:
        if self.input_size_px > self.target_size_px:
            raise ValueError(
                f"input_size_px ({self.input_size_px}) must not exceed target_size_px ({self.target_size_px}): "
                "the input is the degraded target"
            )
        return self

    def to_dict(self) -> dict:
        """Plain JSON types (lists for tuples), what the model's sidecar stores."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, d: dict) -> PreprocessSpec:
        """Validate a sidecar's spec; a bad or unknown key raises pydantic.ValidationError naming it."""
        return cls.model_validate(d)

    def fingerprint(self) -> str:
        """sha256 (hex) of the canonical JSON of ``to_dict()`` (sorted keys, no spaces)."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
