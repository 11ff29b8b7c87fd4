"""PyTorch backend: runs the model from its PyTorch artefact, for checking an export and for
hosts where PyTorch is already present. The daemon's CPU runtime does not need it (torch is
imported only when this backend is chosen).

Artefacts:
- ``.pt2`` — a ``torch.export`` program whose output is ``live_score`` (N,), like the ONNX graph;
- ``.pt`` — a training checkpoint written by ``edge-train``; the network is rebuilt by
  ``engines.checkpoint.model_from_checkpoint`` and its ``live_score`` method (softmax(logits)
  [:, live]) is what runs, so it returns what the exported graph returns.
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
    return "fp16" if torch.float16 in dtypes else "fp32"


class _LiveScore:
    """A trained network seen through its deployed output (``live_score``)."""

    def __init__(self, network) -> None:
        self.network = network

    def __call__(self, faces):
        return self.network.live_score(faces)

    def parameters(self):
        return self.network.parameters()

    def to(self, device: str) -> _LiveScore:
        self.network.to(device)
        return self


def _module_from_checkpoint(path: Path) -> _LiveScore:
    """Rebuild the network a training checkpoint describes, in eval mode."""
    from engines.checkpoint import CheckpointError, model_from_checkpoint

    try:
        network, _ = model_from_checkpoint(path)
    except CheckpointError as e:
        raise EngineError(f"torch backend: {e}") from e
    return _LiveScore(network)
