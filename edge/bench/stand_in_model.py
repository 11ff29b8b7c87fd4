"""An untrained AFA of a chosen width, exported as the shipped model is, for timing the pipeline
before (or without) a trained model: the time of a forward pass does not depend on the weights,
only on the architecture and width. Its decisions mean nothing; the report names the file.

Needs PyTorch and onnx (the ``train`` extra); the daemon itself never imports this module.
"""

from __future__ import annotations

from pathlib import Path

from edge.processing.spec import PreprocessSpec


def untrained_afa(directory: str | Path, width_multiplier: float, seed: int = 0) -> Path:
    """``directory/afa_untrained_w<width>.onnx`` with its sidecar (thresholds 0.5, uncalibrated)."""
    import torch

    from engines.architectures import build_model, parameter_count
    from engines.export import export_onnx
    from engines.sidecar import InputSpec, ModelInfo, Sidecar, Thresholds, file_sha256, write_sidecar

    torch.manual_seed(seed)
    model = build_model("afa", {"width_multiplier": width_multiplier})
    spec = PreprocessSpec()
    path = Path(directory) / f"afa_untrained_w{width_multiplier:g}.onnx"
    export_onnx(model, path, input_size_px=spec.input_size_px)
    write_sidecar(Sidecar(
        model=ModelInfo(architecture="afa", width_multiplier=width_multiplier, config=model.config.to_dict(),
                        parameter_count=parameter_count(model), file=path.name, sha256=file_sha256(path)),
        input=InputSpec(size_px=spec.input_size_px), preprocess=spec.to_dict(),
        thresholds=Thresholds(per_camera={"default": 0.5}, uncertain_half_width=0.0,
                              policy="untrained stand-in for timing only"),
        training_data={"description": f"untrained (random weights, seed {seed}): for timing only"},
    ), path)
    return path
