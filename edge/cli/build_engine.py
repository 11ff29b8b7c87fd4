"""``edge-build-engine``: build the TensorRT engine for this host ahead of the daemon's first start.

    edge-build-engine --config /etc/edge/edge.toml        # the engine the daemon will look for
    edge-build-engine --model afa.onnx --precision fp32 --opt-batch 8 --max-batch 32
    edge-build-engine --config /etc/edge/edge.toml --check   # say whether a build is due, and why

With ``--config`` the model, batch limit, ``[engine.gpu]`` and cache directory come from the
daemon's configuration, so the engine built is exactly the one the daemon picks; options given
here override them. The engine goes into the cache (``$CACHE_DIRECTORY`` under systemd, so an
``ExecStartPre=`` line fills the same cache as the service), is then loaded and run once, and its
path and sidecar are printed. Under systemd it keeps sending ``EXTEND_TIMEOUT_USEC`` while it
builds (accepted from ExecStartPre with ``NotifyAccess=exec``; see deploy/JETSON.md).

Exit codes: 0 the engine is current (built now, or already); 1 ``--check`` found a build due;
69 TensorRT, pycuda or the GPU is unavailable, or the build failed; 78 configuration error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import pydantic

from edge.config import EX_CONFIG, ConfigError, DaemonConfig, load_config
from edge.service import Notifier, configure_logging
from engines.runtime.base import EngineError, file_sha256
from engines.runtime.gpu_options import GpuOptions
from engines.tensorrt.cache_key import BuildSpec, EngineKey, OptimisationProfile

EX_UNAVAILABLE = 69
NEEDS_BUILD = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edge-build-engine", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", help="the daemon's TOML configuration (model, batch limit, [engine.gpu])")
    parser.add_argument("--model", help="ONNX model (default: the configuration's engine.model)")
    parser.add_argument("--precision", choices=("fp16", "fp32"), help="default fp16")
    parser.add_argument("--min-batch", type=int, help="optimisation profile: smallest batch (default 1)")
    parser.add_argument("--opt-batch", type=int, help="optimisation profile: batch tuned for (default 4)")
    parser.add_argument("--max-batch", type=int, help="optimisation profile: largest batch (default: batch_limit, 16)")
    parser.add_argument("--device-index", type=int, help="CUDA device (default 0)")
    parser.add_argument("--workspace-mib", type=int, help="builder workspace (default 512)")
    parser.add_argument("--cache-dir", help="engine cache (default: $CACHE_DIRECTORY, else ~/.cache/edge-fas/engines)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the cached engine is current")
    parser.add_argument("--check", action="store_true", help="only say whether a build is due and why")
    parser.add_argument("--verbose", action="store_true", help="log TensorRT's own messages too")
    return parser


def settings(args: argparse.Namespace) -> tuple[Path, GpuOptions, int, Path | None]:
    """Model, GPU options, largest batch and cache directory: the options over the configuration."""
    config: DaemonConfig | None = load_config(args.config) if args.config else None
    gpu = config.engine.gpu if config else GpuOptions()
    overrides = {name: value for name, value in (
        ("precision", args.precision), ("min_batch", args.min_batch), ("opt_batch", args.opt_batch),
        ("device_index", args.device_index), ("workspace_mib", args.workspace_mib)) if value is not None}
    try:
        gpu = GpuOptions.model_validate({**gpu.model_dump(), **overrides})
    except pydantic.ValidationError as e:
        raise ConfigError("command line", [
            f"{'.'.join(map(str, err['loc'])) or 'options'}: {err['msg'].removeprefix('Value error, ')}"
            for err in e.errors()]) from None
    if args.model:
        model = Path(args.model)
    elif config:
        model = config.model_path()
    else:
        raise ConfigError("command line", ["give --model (an .onnx file) or --config"])
    if model.suffix.lower() != ".onnx":
        raise ConfigError("command line", [f"model {model}: engines are built from an .onnx model"])
    max_batch = args.max_batch or (config.engine.batch_limit if config else 16)
    try:
        OptimisationProfile(gpu.min_batch, min(gpu.opt_batch, max_batch), max_batch)
    except ValueError as e:
        raise ConfigError("command line", [str(e)]) from None
    cache_dir = Path(args.cache_dir) if args.cache_dir else (config.engine_cache_dir() if config else None)
    return model, gpu, max_batch, cache_dir


def check(model: Path, gpu: GpuOptions, max_batch: int, cache_dir: Path | None) -> int:
    from engines.tensorrt.cache import EngineCache
    from engines.tensorrt.facts import probe_target_facts

    spec = BuildSpec(gpu.precision, OptimisationProfile(gpu.min_batch, min(gpu.opt_batch, max_batch), max_batch),
                     gpu.workspace_mib)
    key = EngineKey.of(model.name, file_sha256(model), probe_target_facts(gpu.device_index), spec)
    decision = EngineCache(cache_dir).decide(key)
    print(f"engine: {decision.engine_path}")
    if not decision.rebuild:
        print("current: yes")
        return 0
    print("current: no; a build is due because:")
    for reason in decision.reasons:
        print(f"  - {reason}")
    return NEEDS_BUILD


def build(model: Path, gpu: GpuOptions, max_batch: int, cache_dir: Path | None, force: bool) -> int:
    from engines.tensorrt.backend import TensorRTEngine
    from engines.tensorrt.engine_sidecar import engine_sidecar_path

    engine = TensorRTEngine(model, max_batch=max_batch, precision=gpu.precision, min_batch=gpu.min_batch,
                            opt_batch=gpu.opt_batch, device_index=gpu.device_index, cache_dir=cache_dir,
                            workspace_mib=gpu.workspace_mib, notifier=Notifier(), force_build=force)
    try:
        warm_up_ms = engine.warm_up()
    finally:
        engine.close()
    sidecar = json.loads(engine_sidecar_path(engine.engine_path).read_text())
    print(f"engine: {engine.engine_path}")
    print(f"loads and runs: yes (warm-up {warm_up_ms:.1f} ms, batches up to {engine.max_batch})")
    for name in ("tensorrt_version", "gpu_name", "compute_capability", "jetson_module", "precision",
                 "profile", "build_seconds"):
        print(f"{name}: {sidecar[name]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging("DEBUG" if args.verbose else "INFO", "auto", identifier="edge-build-engine")
    if not args.verbose:
        logging.getLogger("engines.tensorrt.build").setLevel(logging.INFO)
        logging.getLogger("engines.tensorrt.runtime").setLevel(logging.INFO)
    try:
        model, gpu, max_batch, cache_dir = settings(args)
        if not model.is_file():
            raise ConfigError("command line", [f"model {model} not found; give the exported .onnx"])
        if args.check:
            return check(model, gpu, max_batch, cache_dir)
        return build(model, gpu, max_batch, cache_dir, args.force)
    except ConfigError as e:
        print(e.report().replace("edge-daemon", "edge-build-engine"), file=sys.stderr)
        return EX_CONFIG
    except (EngineError, ValueError) as e:
        print(f"edge-build-engine: {e}", file=sys.stderr)
        return EX_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
