"""ONNX Runtime CPU inference time of AFA per width and batch: ``python -m engines.bench_inference``.

Exports each width (random weights: the time does not depend on their values), then times
``session.run`` on batches of 1, 4 and 16 faces. Two figures per cell, medians over
``--repeats`` runs after a warm-up:
- wall ms with ONNX Runtime's default threads (what the daemon sees on an idle machine);
- CPU ms with one intra-op thread, read from the calling thread's CPU clock — the work itself,
  unaffected by other processes competing for the cores (the shared development machine).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime

from engines.architectures import build_model, parameter_count
from engines.export import export_onnx


def _median_ms(session, faces, repeats: int, clock) -> float:
    for _ in range(10):
        session.run(["live_score"], {"faces": faces})
    samples = []
    for _ in range(repeats):
        start = clock()
        session.run(["live_score"], {"faces": faces})
        samples.append((clock() - start) * 1e3)
    return statistics.median(samples)


def bench(widths: list[float], batches: list[int], repeats: int, architecture: str = "afa") -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for width in widths:
            model = build_model(architecture, {"width_multiplier": width}).eval()
            path = Path(folder) / f"{architecture}_{width}.onnx"
            export_onnx(model, path)
            default = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
            single = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            for batch in batches:
                faces = np.random.default_rng(0).random((batch, 5, 8, 8), dtype=np.float32)
                rows.append({"architecture": architecture, "width": width, "parameters": parameter_count(model),
                             "batch": batch,
                             "wall_ms": _median_ms(default, faces, repeats, time.perf_counter),
                             "cpu_ms_1_thread": _median_ms(single, faces, repeats, time.thread_time)})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engines.bench_inference", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--widths", type=float, nargs="+", default=[1.0, 0.5, 0.375, 0.25, 0.125])
    p.add_argument("--batches", type=int, nargs="+", default=[1, 4, 16])
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--architecture", default="afa", choices=("afa", "resnet18_se"))
    args = p.parse_args(argv)
    print("| architecture | width | parameters | batch | wall ms (median, default threads) | CPU ms (median, 1 thread) |")
    print("|---|---|---|---|---|---|")
    for row in bench(args.widths, args.batches, args.repeats, args.architecture):
        print(f"| {row['architecture']} | {row['width']:g} | {row['parameters'] / 1e6:.2f} M | {row['batch']} "
              f"| {row['wall_ms']:.2f} | {row['cpu_ms_1_thread']:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
