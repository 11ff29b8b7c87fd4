"""PyTorch on an NVIDIA GPU, for hosts with CUDA but without TensorRT (issue 9, item 4).

It is the PyTorch backend (``torch_backend.TorchEngine``: same artefacts, same ``live_score``)
moved to a CUDA device, with two options:

- ``precision="fp16"`` runs the network in half precision (faces are cast on the GPU);
  ``"fp32"`` turns TF32 off for convolutions and matrix products, so FP32 means FP32 and the
  scores agree with the CPU within 1e-4 (TF32 is on by default for cuDNN convolutions).
- ``cuda_graphs=True`` captures one CUDA graph per batch size in ``graph_batch_sizes`` at load;
  a batch of n faces replays the graph of the smallest captured size ≥ n, zero-padded, so the
  per-call cost is one graph launch instead of one launch per layer. Graphs replay on fixed
  buffers, so every call copies into the graph's static input.

``device="cpu"`` is accepted (with ``cuda_graphs=False``) so the GPU check script can dry-run
its whole path on a machine without a GPU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engines.runtime.base import AFA_INPUT_CHW, EngineError
from engines.runtime.torch_backend import TorchEngine

def default_graph_batch_sizes(max_batch: int) -> tuple[int, ...]:
    """Powers of two up to the batch limit, and the limit: padding wastes under half a batch."""
    sizes = [1]
    while sizes[-1] * 2 < max_batch:
        sizes.append(sizes[-1] * 2)
    return tuple(sorted({*sizes, max_batch}))


class TorchCudaEngine(TorchEngine):
    backend = "torch_cuda"

    def __init__(self, model_path: str | Path, *, input_chw: tuple[int, int, int] = AFA_INPUT_CHW,
                 max_batch: int = 16, threads: int = 2, device: str = "cuda:0",
                 precision: str = "fp32", cuda_graphs: bool = True,
                 graph_batch_sizes: tuple[int, ...] | None = None) -> None:
        if precision not in ("fp32", "fp16"):
            raise EngineError(f"torch_cuda backend: precision must be 'fp32' or 'fp16', got {precision!r}")
        torch = _torch_with_device(device)
        if cuda_graphs and not device.startswith("cuda"):
            raise EngineError(f"torch_cuda backend: CUDA graphs need a CUDA device, got device {device!r}; "
                              "set cuda_graphs = false")
        super().__init__(model_path, input_chw=input_chw, max_batch=max_batch, threads=threads, device=device)
        if precision == "fp32" and device.startswith("cuda"):
            # Process-wide switches: FP32 must mean IEEE FP32 for the parity the daemon promises.
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cuda.matmul.allow_tf32 = False
        self._dtype = torch.float16 if precision == "fp16" else torch.float32
        if precision == "fp16":
            self._module = _half(self._module)
        self._precision = precision
        self._eval(self._module)
        self._graphs: dict[int, tuple] = {}
        if cuda_graphs:
            sizes = graph_batch_sizes or default_graph_batch_sizes(self.max_batch)
            bad = [s for s in sizes if not 1 <= s <= self.max_batch]
            if bad:
                raise EngineError(f"torch_cuda backend: graph batch sizes {bad} outside 1..{self.max_batch}")
            for size in sorted(set(sizes)):
                self._graphs[size] = self._capture(size)

    @property
    def graph_batch_sizes(self) -> tuple[int, ...]:
        return tuple(self._graphs)

    def _eval(self, module) -> None:
        network = getattr(module, "network", module)
        if hasattr(network, "eval"):
            try:
                network.eval()
            except NotImplementedError:  # torch.export modules refuse eval(); they are already
                pass

    def _capture(self, size: int) -> tuple:
        """Record the network for a fixed batch size; warm up on a side stream first (cuDNN picks
        its algorithms there, outside the capture), as CUDA graph capture requires."""
        torch = self._torch
        static_input = torch.zeros((size, *self.input_chw), dtype=self._dtype, device=self._device)
        side = torch.cuda.Stream(device=self._device)
        side.wait_stream(torch.cuda.current_stream(self._device))
        with torch.inference_mode(), torch.cuda.stream(side):
            for _ in range(3):
                self._module(static_input)
        torch.cuda.current_stream(self._device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.inference_mode(), torch.cuda.graph(graph):
            static_output = self._module(static_input)
        return graph, static_input, static_output

    def _run(self, batch: np.ndarray) -> np.ndarray:
        torch = self._torch
        n = len(batch)
        faces = torch.from_numpy(batch)
        fitting = [s for s in self._graphs if s >= n]
        with torch.inference_mode():
            if not fitting:  # no graphs, or a batch past every captured size: run eagerly
                return self._module(faces.to(self._device).to(self._dtype)).float().cpu().numpy()
            graph, static_input, static_output = self._graphs[min(fitting)]
            static_input[:n].copy_(faces)
            static_input[n:].zero_()  # padding rows: scores computed, then dropped
            graph.replay()
            return static_output[:n].float().cpu().numpy()


def _torch_with_device(device: str):
    try:
        import torch
    except ImportError as e:
        raise EngineError("torch_cuda backend: PyTorch is not installed; install a CUDA build of "
                          "torch, or use engine.backend = \"onnxruntime\"") from e
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise EngineError(
                f"torch_cuda backend: CUDA is not available to PyTorch {torch.__version__} (no NVIDIA GPU, "
                "no driver, or a CPU-only build); install a CUDA build of torch, or use "
                "engine.backend = \"onnxruntime\" / engine.fallback_to_cpu = true")
        index = torch.device(device).index or 0
        if index >= torch.cuda.device_count():
            raise EngineError(f"torch_cuda backend: {device} does not exist ({torch.cuda.device_count()} "
                              "CUDA device(s)); set engine.gpu.device_index accordingly, or "
                              "engine.fallback_to_cpu = true to run ONNX Runtime on the CPU instead")
    elif device != "cpu":
        raise EngineError(f"torch_cuda backend: device must be 'cuda[:n]' or 'cpu', got {device!r}")
    return torch


def _half(module):
    """The module in half precision (a checkpoint's ``_LiveScore`` wraps its network)."""
    network = getattr(module, "network", None)
    if network is not None:
        network.half()
        return module
    return module.half()
