"""CPU time of one AFA training step (forward, CE + 0.001·L2, backward, SGD): ``python -m engines.bench_training``.

Medians over ``--repeats`` steps after two warm-up steps, read from the process CPU clock with
``--threads`` torch threads (CPU time, not wall time: the development machine is shared).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from engines.architectures import build_model, parameter_count


def step_cpu_seconds(width: float, batch: int, repeats: int) -> float:
    model = build_model("afa", {"width_multiplier": width}).train()
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    faces, targets = torch.rand(batch, 5, 8, 8), torch.rand(batch, 5, 16, 16)
    labels = torch.randint(0, 2, (batch,))
    samples = []
    for i in range(repeats + 2):
        start = time.process_time()
        logits, super_resolved = model(faces)
        loss = F.cross_entropy(logits, labels) + 0.001 * F.mse_loss(super_resolved, targets)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        if i >= 2:
            samples.append(time.process_time() - start)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engines.bench_training", description=__doc__)
    p.add_argument("--widths", type=float, nargs="+", default=[1.0, 0.125])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"| width | parameters | batch | CPU s per step (median, {args.threads} thread(s)) | CPU ms per face |")
    print("|---|---|---|---|---|")
    for width in args.widths:
        seconds = step_cpu_seconds(width, args.batch, args.repeats)
        count = parameter_count(build_model("afa", {"width_multiplier": width}))
        print(f"| {width:g} | {count / 1e6:.2f} M | {args.batch} | {seconds:.3f} | {1e3 * seconds / args.batch:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
