"""The GPU check: parity and latency of the GPU backends per face batch, as one prepared script.

    python -m engines.tensorrt.gpu_check                      # on a GPU machine (PyTorch + CUDA)
    python -m engines.tensorrt.gpu_check --device cpu --iterations 5 --width 0.25   # dry run

It builds AFA (paper width unless ``--width``) with fixed random weights, saves it as a training
checkpoint, and scores the same seeded faces with the PyTorch backend on the CPU (the reference)
and with ``torch_cuda`` — FP32 with CUDA graphs, FP32 eager, FP16 with CUDA graphs — at each
batch size (1, 4, 16 by default). Parity: the largest absolute difference of live scores from the
reference, within 1e-4 for FP32 and 1e-2 for FP16 (issue 9). Latency: ``Engine.infer`` wall time
per call (host array in, scores out: copies included), ``--warm-up`` calls excluded, then
``--iterations`` calls timed with ``perf_counter_ns``; p50 / p90 / p99 / mean and faces per second.
Where TensorRT and pycuda are importable too, the TensorRT backend (FP32 and FP16, built into a
temporary cache) is checked against ONNX Runtime the same way.

Prints the environment and a table; ``--json`` also writes the figures. Exit 1 if parity fails.
``--device cpu`` runs the same path without a GPU (no CUDA graphs) to prove the script works.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

TOLERANCE = {"fp32": 1e-4, "fp16": 1e-2}


@dataclass
class Row:
    backend: str
    variant: str
    precision: str
    batch: int
    max_abs_diff: float
    tolerance: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    faces_per_s: float

    @property
    def passed(self) -> bool:
        return self.max_abs_diff <= self.tolerance


def timed_calls_ms(engine, faces: np.ndarray, warm_up: int, iterations: int) -> np.ndarray:
    for _ in range(warm_up):
        engine.infer(faces)
    samples = np.empty(iterations)
    for i in range(iterations):
        start_ns = time.perf_counter_ns()
        engine.infer(faces)
        samples[i] = (time.perf_counter_ns() - start_ns) / 1e6
    return samples


def measure(name: str, variant: str, precision: str, engine, reference, batches, args) -> list[Row]:
    rows = []
    for batch in batches:
        faces = np.random.default_rng(batch).uniform(0.0, 1.0, (batch, 5, 8, 8)).astype(np.float32)
        diff = float(np.max(np.abs(engine.infer(faces) - reference.infer(faces))))
        ms = timed_calls_ms(engine, faces, args.warm_up, args.iterations)
        p50, p90, p99 = np.percentile(ms, [50, 90, 99])
        rows.append(Row(name, variant, precision, batch, diff, TOLERANCE[precision], float(p50),
                        float(p90), float(p99), float(ms.mean()), batch * 1000.0 / float(ms.mean())))
    return rows


def torch_rows(checkpoint: Path, args) -> list[Row]:
    from engines.runtime.torch_backend import TorchEngine
    from engines.runtime.torch_cuda import TorchCudaEngine

    max_batch = max(args.batches)
    reference = TorchEngine(checkpoint, max_batch=max_batch, threads=args.threads, device="cpu")
    on_gpu = args.device.startswith("cuda")
    variants = [("fp32", True, "graphs"), ("fp32", False, "eager"), ("fp16", True, "graphs")] if on_gpu \
        else [("fp32", False, "eager"), ("fp16", False, "eager")]
    rows = []
    for precision, graphs, label in variants:
        engine = TorchCudaEngine(checkpoint, max_batch=max_batch, threads=args.threads,
                                 device=args.device, precision=precision,
                                 cuda_graphs=graphs, graph_batch_sizes=tuple(args.batches) if graphs else None)
        engine.warm_up()
        rows += measure("torch_cuda", label, precision, engine, reference, args.batches, args)
        engine.close()
    return rows


def tensorrt_rows(onnx_path: Path, args) -> list[Row]:
    from engines.runtime.onnxruntime_backend import OnnxRuntimeEngine
    from engines.tensorrt.backend import TensorRTEngine

    max_batch = max(args.batches)
    reference = OnnxRuntimeEngine(onnx_path, max_batch=max_batch)
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for precision in ("fp32", "fp16"):
            engine = TensorRTEngine(onnx_path, max_batch=max_batch, precision=precision, cache_dir=cache,
                                    opt_batch=sorted(args.batches)[len(args.batches) // 2])
            engine.warm_up()
            rows += measure("tensorrt", "engine", precision, engine, reference, args.batches, args)
            engine.close()
    return rows


def environment(device: str) -> dict[str, str]:
    import onnxruntime
    import torch

    facts = {"python": platform.python_version(), "host": platform.node(), "cpu": platform.processor()
             or platform.machine(), "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
             "device": device}
    if device.startswith("cuda"):
        index = torch.device(device).index or 0
        facts["gpu"] = torch.cuda.get_device_name(index)
        facts["compute_capability"] = ".".join(map(str, torch.cuda.get_device_capability(index)))
        facts["cuda"] = str(torch.version.cuda)
        facts["cudnn"] = str(torch.backends.cudnn.version())
    try:
        import tensorrt

        facts["tensorrt"] = tensorrt.__version__
    except ImportError:
        facts["tensorrt"] = "absent"
    return facts


def build_model(directory: Path, width: float) -> tuple[Path, Path | None]:
    """An AFA checkpoint with seeded weights, and its ONNX export when onnx is importable."""
    import torch

    from engines.afa import AFA, AFAConfig
    from engines.checkpoint import save_checkpoint

    torch.manual_seed(2024)
    network = AFA(AFAConfig(width_multiplier=width)).eval()
    checkpoint = directory / "afa.pt"
    save_checkpoint(checkpoint, network)
    try:
        from engines.export import export_onnx
    except ImportError:
        return checkpoint, None
    onnx_path = directory / "afa.onnx"
    export_onnx(network, onnx_path)
    return checkpoint, onnx_path


def table(rows: list[Row]) -> str:
    lines = [f"{'backend':<11}{'variant':<8}{'prec':<6}{'batch':>6}{'max|Δ|':>11}{'tol':>8}{'ok':>4}"
             f"{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'faces/s':>10}"]
    for r in rows:
        lines.append(f"{r.backend:<11}{r.variant:<8}{r.precision:<6}{r.batch:>6}{r.max_abs_diff:>11.2e}"
                     f"{r.tolerance:>8.0e}{'yes' if r.passed else 'NO':>4}{r.p50_ms:>9.3f}{r.p90_ms:>9.3f}"
                     f"{r.p99_ms:>9.3f}{r.mean_ms:>9.3f}{r.faces_per_s:>10.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gpu_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda:0", help="cuda:N, or cpu for a dry run (default cuda:0)")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--iterations", type=int, default=300, help="timed calls per batch size")
    parser.add_argument("--warm-up", type=int, default=30, help="untimed calls per batch size first")
    parser.add_argument("--width", type=float, default=1.0, help="AFA width multiplier (1.0 = paper)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads of the torch reference")
    parser.add_argument("--json", help="also write the environment and rows to this file")
    args = parser.parse_args(argv)
    if min(args.batches) < 1 or args.iterations < 1:
        parser.error("batch sizes and --iterations must be at least 1")
    env = environment(args.device)
    print("environment: " + ", ".join(f"{k} {v}" for k, v in env.items()), flush=True)
    with tempfile.TemporaryDirectory() as directory:
        checkpoint, onnx_path = build_model(Path(directory), args.width)
        rows = torch_rows(checkpoint, args)
        if env["tensorrt"] != "absent" and args.device.startswith("cuda") and onnx_path is not None:
            rows += tensorrt_rows(onnx_path, args)
    print(f"method: Engine.infer wall time, {args.warm_up} warm-up calls excluded, {args.iterations} "
          "timed calls per row; parity: torch_cuda vs torch on the CPU, tensorrt vs ONNX Runtime")
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps({"schema_version": 1, "environment": env,
                                               "rows": [asdict(r) for r in rows]}, indent=2))
    failed = [r for r in rows if not r.passed]
    if failed:
        print(f"PARITY FAILED in {len(failed)} row(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
