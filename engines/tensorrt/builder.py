"""ONNX → serialised TensorRT engine (TensorRT 10 Python API).

FP16 is the default (the product's promise on Jetson); FP32 turns TF32 off too, so an FP32 engine
really computes in FP32 (TensorRT enables TF32 by default on Ampere and later, which would break
the 1e-4 parity with ONNX Runtime). One optimisation profile covers the face batch
(min / opt / max). The timing cache — kernel timings for this TensorRT on this GPU — is read
before and written (atomically) after every build, so a rebuild after a model update skips most
of the tactic search.

Run it in a thread whose current CUDA context is on the target device: the TensorRT runtime
backend builds inside its inference thread, after creating its context there.
"""

from __future__ import annotations

import logging
from pathlib import Path

from engines.runtime.base import EngineError
from engines.tensorrt.atomic import atomic_write_bytes
from engines.tensorrt.cache import BuiltEngine
from engines.tensorrt.cache_key import BuildSpec
from engines.tensorrt.facts import import_tensorrt
from engines.tensorrt.trt_logging import tensorrt_logger

log = logging.getLogger(__name__)


def build_serialized_engine(onnx_path: Path, spec: BuildSpec, timing_cache_path: Path) -> BuiltEngine:
    trt = import_tensorrt()
    logger = tensorrt_logger(trt, "engines.tensorrt.build")
    builder = trt.Builder(logger)
    if builder is None:
        raise EngineError("tensorrt builder: trt.Builder() returned None (is the GPU visible to this process?)")
    network = builder.create_network(0)  # TensorRT 10: explicit batch is the only mode
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise EngineError(f"tensorrt builder: cannot parse {onnx_path}: {errors or 'no detail given'}; "
                          "re-export the model with edge-export (it checks operators against TensorRT)")
    if network.num_inputs != 1 or network.num_outputs != 1:
        raise EngineError(f"tensorrt builder: {onnx_path.name} has {network.num_inputs} inputs and "
                          f"{network.num_outputs} outputs; the contract is faces → live_score")
    faces = network.get_input(0)
    chw = tuple(int(d) for d in tuple(faces.shape)[1:])
    if len(chw) != 3 or min(chw) < 1:
        raise EngineError(f"tensorrt builder: input {faces.name!r} of {onnx_path.name} has shape "
                          f"{tuple(faces.shape)}; expected N×C×H×W with fixed C, H, W")

    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, spec.workspace_mib << 20)
    if spec.precision == "fp16":
        config.set_flag(trt.BuilderFlag.FP16)
    else:
        config.clear_flag(trt.BuilderFlag.TF32)
    profile = builder.create_optimization_profile()
    low, opt, high = spec.profile.as_tuple()
    profile.set_shape(faces.name, (low, *chw), (opt, *chw), (high, *chw))
    config.add_optimization_profile(profile)
    _attach_timing_cache(config, timing_cache_path)

    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise EngineError(f"tensorrt builder: building {onnx_path.name} failed (build_serialized_network "
                          "returned None; the TensorRT errors are logged above under engines.tensorrt.build)")
    atomic_write_bytes(timing_cache_path, bytes(memoryview(config.get_timing_cache().serialize())))
    return BuiltEngine(bytes(memoryview(serialized)), faces.name, chw)


def _attach_timing_cache(config, path: Path) -> None:
    stored = path.read_bytes() if path.is_file() else b""
    cache = config.create_timing_cache(stored)
    if cache is None or not config.set_timing_cache(cache, False):
        log.warning("timing cache %s is unreadable or from another TensorRT/GPU; starting an empty one", path.name)
        config.set_timing_cache(config.create_timing_cache(b""), False)
    elif stored:
        log.info("timing cache %s loaded (%d bytes)", path.name, len(stored))
