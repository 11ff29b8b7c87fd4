"""ONNX Runtime CPU inference time of AFA per width and batch size (issue 5: the shipped width).

For each width multiplier an AFA is built (weights do not change the time), exported with the
product's exporter and loaded with the daemon's ONNX Runtime engine (``engines.runtime``, its
default 2 intra-op threads). Each batch size is timed as the median wall time of ``runs``
calls after a warm-up; the process CPU time per call is reported beside it, because the
machine's cores are shared and wall time is noisy.

    python -m engines.experiments.inference_time --widths 0.25 0.5 1.0 --batches 1 4 16
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from engines.architectures import build_model, parameter_count
from engines.export import export_onnx
from engines.runtime.onnxruntime_backend import OnnxRuntimeEngine


def time_engine(engine: OnnxRuntimeEngine, batch: int, runs: int) -> dict:
    faces = np.random.default_rng(0).random((batch, *engine.input_chw), dtype=np.float32)
    for _ in range(10):
        engine.infer(faces)
    wall_ms, cpu_ms = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        engine.infer(faces)
        wall_ms.append((time.perf_counter() - w0) * 1e3)
        cpu_ms.append((time.process_time() - c0) * 1e3)
    return {"median_wall_ms": round(statistics.median(wall_ms), 3), "median_cpu_ms": round(statistics.median(cpu_ms), 3),
            "p90_wall_ms": round(float(np.percentile(wall_ms, 90)), 3)}


def measure(onnx_path: str | Path, batches=(1, 4, 16), runs: int = 200, threads: int = 2) -> dict:
    engine = OnnxRuntimeEngine(onnx_path, threads=threads, max_batch=max(batches))
    engine.warm_up()
    return {str(b): time_engine(engine, b, runs) for b in batches}


def measure_width(width: float, batches=(1, 4, 16), runs: int = 200, threads: int = 2) -> dict:
    model = build_model("afa", {"width_multiplier": width}).eval()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "afa.onnx"
        export_onnx(model, path)
        return {"width_multiplier": width, "parameters": parameter_count(model),
                "batches": measure(path, batches, runs, threads)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--widths", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    p.add_argument("--model", help="time this exported .onnx instead of fresh widths")
    p.add_argument("--batches", type=int, nargs="+", default=[1, 4, 16])
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    if args.model:
        print(json.dumps({"model": args.model, "batches": measure(args.model, args.batches, args.runs, args.threads)}))
        return 0
    for width in args.widths:
        print(json.dumps(measure_width(width, args.batches, args.runs, args.threads)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
