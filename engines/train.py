"""Train AFA or the ResNet18-SE baseline (paper Section V-A2): ``python -m engines.train`` / ``edge-train``.

Loss L = CE + α·L2(super-resolved, 16×16 target), α = 0.001 (eq. 1–3; the baseline has no SR
output and trains on CE alone). SGD lr 0.1, momentum 0.9, weight decay 5e-4, cyclic cosine
annealing (SGDR, [51]) restarting every ``cycle_epochs``. Deterministic for a given seed on one
device; resumable from ``last.pt``; the best validation ACER is kept as ``best.pt``.

Then, our addition, ``frozen_bn_epochs`` more epochs with every batch-norm layer's statistics
frozen (its running mean and variance used, not updated) and the learning rate annealed from
``frozen_bn_lr`` to 0. The deployed network normalises one to four faces with fixed statistics,
while training normalised each batch of 64 by its own; on the simulated sets the network read
the 3D mask only through batch statistics (test ACER at the EER 1.9 % in batch mode, 8.5 % with
fixed statistics), and three epochs with frozen statistics closed the gap (2.9 % and 1.5 % with
fixed statistics on SR300 and DCAM710). Off by default: the paper does not do it.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from engines.architectures import build_model, parameter_count
from engines.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from engines.data.arrays import FaceArrays
from engines.data.augment import Augmentation
from engines.data.degrade import Degradation
from engines.data.sources import open_dataset
from engines.export import default_preprocess
from engines.inference import live_scores
from engines.metrics import error_rates, threshold_at_eer


@dataclass
class TrainConfig:
    architecture: str = "afa"
    model_config: dict = field(default_factory=dict)
    epochs: int = 30
    batch_size: int = 512
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    cycle_epochs: int = 10
    sr_weight: float = 0.001
    augment: bool = True
    seed: int = 0
    device: str = "auto"
    frozen_bn_epochs: int = 0
    frozen_bn_lr: float = 0.01

    def __post_init__(self) -> None:
        for key in ("epochs", "batch_size", "cycle_epochs"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key}={getattr(self, key)!r}: must be ≥ 1")
        if self.frozen_bn_epochs < 0 or self.frozen_bn_lr <= 0:
            raise ValueError(f"frozen_bn_epochs={self.frozen_bn_epochs!r}, frozen_bn_lr={self.frozen_bn_lr!r}: "
                             "epochs must be ≥ 0 and the learning rate > 0")
        if self.lr <= 0:
            raise ValueError(f"lr={self.lr!r}: must be > 0 (paper: 0.1)")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={name!r} but no CUDA device is available: use --device cpu")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


def freeze_batch_norm(model: torch.nn.Module) -> None:
    """Batch-norm layers normalise with their running statistics and stop updating them."""
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.eval()


def frozen_phase_lr(config: TrainConfig, epoch: int, step: int, steps_per_epoch: int) -> float:
    """Cosine from ``frozen_bn_lr`` to 0 over the frozen-statistics epochs (a pure function of the
    position, so a resumed run continues exactly)."""
    done = (epoch - config.epochs) * steps_per_epoch + step
    return 0.5 * config.frozen_bn_lr * (1 + math.cos(math.pi * done / (config.frozen_bn_epochs * steps_per_epoch)))


def validation_acer(model, val: FaceArrays | None, device) -> float:
    """ACER at the validation set's own EER threshold (a policy-free figure for model selection)."""
    if val is None or len(set(val.labels.tolist())) < 2:
        return float("nan")
    scores = live_scores(model, val.inputs, device)
    return float(error_rates(val.labels, scores, threshold_at_eer(val.labels, scores)).acer)


def train(config: TrainConfig, train_set: FaceArrays, val_set: FaceArrays | None, out_dir: str | Path,
          resume: str | Path | None = None, progress: bool = True, extra_state: dict | None = None) -> dict:
    """Train, writing ``last.pt`` every epoch and ``best.pt`` at the lowest validation ACER; returns the history."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = resolve_device(config.device)
    seed_everything(config.seed)
    model = build_model(config.architecture, config.model_config).to(device)
    optimiser = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    steps_per_epoch = max(1, -(-len(train_set) // config.batch_size))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimiser, T_0=config.cycle_epochs * steps_per_epoch)
    generator = torch.Generator().manual_seed(config.seed)
    augmentation = Augmentation() if config.augment else None
    history, start_epoch, best = [], 0, float("inf")
    if resume is not None:
        state = load_checkpoint(resume, expected_architecture=config.architecture)
        if state["model_config"] != model.config.to_dict():
            raise CheckpointError(f"checkpoint {resume} was trained with model config {state['model_config']}, not {model.config.to_dict()}")
        model.load_state_dict(state["model_state"])
        optimiser.load_state_dict(state["optimizer_state"])
        scheduler.load_state_dict(state["scheduler_state"])
        generator.set_state(state["generator_state"])
        torch.set_rng_state(state["torch_rng_state"])  # dropout draws from the global generator
        if device.type == "cuda" and state.get("cuda_rng_state") is not None:
            torch.cuda.set_rng_state(state["cuda_rng_state"], device)
        history, start_epoch, best = state["history"], state["epoch"], state["best_val_acer"]

    inputs, targets = torch.from_numpy(train_set.inputs), torch.from_numpy(train_set.targets)
    labels = torch.from_numpy(train_set.labels)
    started = time.perf_counter()
    for epoch in range(start_epoch, config.epochs + config.frozen_bn_epochs):
        frozen = epoch >= config.epochs
        model.train()
        if frozen:
            freeze_batch_norm(model)
        order = torch.randperm(len(train_set), generator=generator)
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{config.epochs + config.frozen_bn_epochs}", disable=not progress, leave=False)
        total, seen = 0.0, 0
        for step in bar:
            if frozen:
                for group in optimiser.param_groups:
                    group["lr"] = frozen_phase_lr(config, epoch, step, steps_per_epoch)
            pick = order[step * config.batch_size : (step + 1) * config.batch_size]
            x, y, t = inputs[pick].to(device), labels[pick].to(device), targets[pick].to(device)
            if augmentation is not None:
                x, t = augmentation(x, t, generator)
            logits, super_resolved = model(x)
            loss = F.cross_entropy(logits, y)
            if super_resolved is not None:
                loss = loss + config.sr_weight * F.mse_loss(super_resolved, t)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            if not frozen:
                scheduler.step()
            total, seen = total + loss.item() * len(pick), seen + len(pick)
            bar.set_postfix(loss=f"{total / seen:.4f}", best_val_acer=f"{best:.4f}" if history else "-")
        acer = validation_acer(model, val_set, device)
        history.append({"epoch": epoch + 1, "loss": total / seen, "val_acer": None if math.isnan(acer) else acer,
                        "lr": optimiser.param_groups[0]["lr"], "frozen_bn": frozen,
                        "elapsed_s": time.perf_counter() - started})
        if progress:
            tqdm.write(f"epoch {epoch + 1}: loss {total / seen:.4f}  val ACER@EER {acer:.4f}")
        state = {"train_config": asdict(config), "optimizer_state": optimiser.state_dict(),
                 "scheduler_state": scheduler.state_dict(), "generator_state": generator.get_state(),
                 "torch_rng_state": torch.get_rng_state(),
                 "cuda_rng_state": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
                 "epoch": epoch + 1, "history": history, "parameter_count": parameter_count(model), **(extra_state or {})}
        without_validation = math.isnan(acer)  # then the latest epoch is the best one known
        if without_validation or acer < best:
            best = best if without_validation else acer
            save_checkpoint(out_dir / "best.pt", model, best_val_acer=best, **state)
        save_checkpoint(out_dir / "last.pt", model, best_val_acer=best, **state)
    return {"history": history, "best_val_acer": best if math.isfinite(best) else None,
            "parameter_count": parameter_count(model), "device": str(device)}


def split_by_subject(data: FaceArrays, fraction: float, seed: int) -> tuple[FaceArrays, FaceArrays]:
    """Hold out ``fraction`` of the identities (never the same person in train and validation)."""
    subjects = np.unique(data.subject)
    rng = np.random.default_rng(seed)
    held = rng.choice(subjects, size=max(1, int(round(fraction * len(subjects)))), replace=False)
    is_val = np.isin(data.subject, held)
    return data.subset(~is_val), data.subset(is_val)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="edge-train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", nargs="+", required=True, help="training data: .npz, CASIA-SURF list file(s) or folder(s)")
    p.add_argument("--val", nargs="*", default=None, help="validation data (default: hold out --val-fraction of the identities)")
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--live-label", type=int, choices=(0, 1), help="for CASIA-SURF lists: the label value meaning live")
    p.add_argument("--architecture", choices=("afa", "resnet18_se"), default="afa")
    p.add_argument("--width", type=float, default=1.0, help="width multiplier (1.0 = paper width)")
    p.add_argument("--augment-module", choices=("mfam", "sfam"), default="mfam", help="AFA only (Table 11)")
    p.add_argument("--upsampling", choices=("nearest", "transposed_conv"), default="nearest", help="AFA only (Table 12)")
    p.add_argument("--out", required=True, help="folder for last.pt, best.pt and history.json")
    p.add_argument("--resume", help="checkpoint to continue from (usually <out>/last.pt)")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    defaults = TrainConfig()
    for key in ("epochs", "batch_size", "cycle_epochs", "seed", "frozen_bn_epochs"):
        p.add_argument(f"--{key.replace('_', '-')}", type=int, default=getattr(defaults, key))
    for key in ("lr", "momentum", "weight_decay", "sr_weight", "frozen_bn_lr"):
        p.add_argument(f"--{key.replace('_', '-')}", type=float, default=getattr(defaults, key))
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--preprocess", help="JSON of the PreprocessSpec the data was made with (default: the daemon's default spec)")
    args = p.parse_args(argv)

    model_config = {"width_multiplier": args.width}
    if args.architecture == "afa":
        model_config |= {"augment": args.augment_module, "upsampling": args.upsampling}
    try:
        config = TrainConfig(architecture=args.architecture, model_config=model_config, epochs=args.epochs,
                             batch_size=args.batch_size, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay,
                             cycle_epochs=args.cycle_epochs, sr_weight=args.sr_weight, augment=not args.no_augment,
                             seed=args.seed, device=args.device, frozen_bn_epochs=args.frozen_bn_epochs,
                             frozen_bn_lr=args.frozen_bn_lr)
        preprocess = json.loads(Path(args.preprocess).read_text()) if args.preprocess else default_preprocess()
        read = lambda paths: FaceArrays.concatenate([
            open_dataset(path, live_label=args.live_label, degradation=Degradation.from_preprocess(preprocess),
                         expected_preprocess=preprocess) for path in paths])
        train_set = read(args.train)
        if args.val:
            val_set = read(args.val)
        else:
            train_set, val_set = split_by_subject(train_set, args.val_fraction, args.seed)
        description = {"train": args.train, "val": args.val or f"{args.val_fraction:.0%} of train identities",
                       "n_train": len(train_set), "n_val": len(val_set),
                       "camera_models": sorted(set(train_set.camera_model.tolist())),
                       "presentations": sorted(set(train_set.presentation.tolist()))}
        result = train(config, train_set, val_set, args.out, resume=args.resume, progress=not args.no_progress,
                       extra_state={"training_data": description, "preprocess": preprocess})
    except (ValueError, FileNotFoundError) as error:
        print(f"edge-train: {error}", file=sys.stderr)
        return 2
    (Path(args.out) / "history.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("best_val_acer", "parameter_count", "device")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
