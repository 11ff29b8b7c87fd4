"""PyTorch backend: runs the model from its PyTorch artefact, for checking an export and for
hosts where PyTorch is already present. The daemon's CPU runtime does not need it (torch is
imported only when this backend is chosen).

Artefacts:
- ``.pt2`` — a ``torch.export`` program whose output is ``live_score`` (N,), like the ONNX graph;
- ``.pt`` — a training checkpoint; the network is rebuilt by ``engines.checkpoint_model`` and
  wrapped so it returns softmax(logits)[:, live] like the exported graph.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engines.runtime.base import AFA_INPUT_CHW, Engine, EngineError


class TorchEngine(Engine):
    backend = "torch"
    suffixes = (".pt2", ".pt")

    def __init__(self, model_path: str | Path, *, input_chw: tuple[int, int, int] = AFA_INPUT_CHW,
                 max_batch: int = 16, threads: int = 2, device: str = "cpu") -> None:
        super().__init__(model_path, input_chw=input_chw, max_batch=max_batch, threads=threads)
        try:
            import torch
        except ImportError as e:
            raise EngineError(
                "torch backend: PyTorch is not installed; install the 'train' extra "
                "(pip install 'edge-fas[train]') or use engine.backend = \"onnxruntime\""
            ) from e
        self._torch = torch
        torch.set_num_threads(self.threads)
        self._device = device
        suffix = self.model_path.suffix.lower()
        try:
            if suffix == ".pt2":
                module = torch.export.load(str(self.model_path)).module()
            else:
                module = _module_from_checkpoint(self.model_path)
        except EngineError:
            raise
        except Exception as e:  # torch raises many types for a corrupt or foreign file
            raise EngineError(f"torch backend: cannot load {str(self.model_path)!r}: {e}") from e
        self._module = module.to(device)
        self._precision = _precision_of(module, torch)

    @property
    def precision(self) -> str:
        return self._precision

    @property
    def device(self) -> str:
        return self._device

    def _run(self, batch: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            scores = self._module(torch.from_numpy(batch).to(self._device))
        return scores.detach().float().cpu().numpy()


def _precision_of(module, torch) -> str:
    dtypes = {p.dtype for p in module.parameters()} or {torch.float32}
    return {torch.float16: "fp16", torch.bfloat16: "bf16"}.get(next(iter(dtypes)), "fp32")


def _module_from_checkpoint(path: Path):
    """Rebuild the network a training checkpoint describes and make it output live_score."""
    try:
        from engines.checkpoint import live_score_module  # written with the training code
    except ImportError as e:
        raise EngineError(
            f"torch backend: {path.name} is a training checkpoint but this installation has no "
            "training code to rebuild it (engines.checkpoint); export a .pt2 or .onnx instead"
        ) from e
    return live_score_module(path)
