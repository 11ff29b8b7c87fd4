"""TensorRT runtime backend behind the engine contract (``engines.runtime.base.Engine``).

``engine.model`` may be the ONNX model — the usual case: the engine for this host comes from the
cache (``cache.EngineCache``), built there first when missing or stale — or a serialised engine
(``.engine`` / ``.plan``) with its sidecar, which is checked against this host and refused when
stale, since without the ONNX model it cannot be rebuilt. The work happens on one thread that owns
the CUDA context (``cuda_thread.CudaInferenceThread``).

TensorRT calls used (TensorRT 10 name-based API): ``trt.Runtime(logger)``,
``runtime.deserialize_cuda_engine``, ``engine.create_execution_context``, ``engine.num_io_tensors``,
``engine.get_tensor_name/get_tensor_mode/get_tensor_dtype/get_tensor_profile_shape``,
``context.set_input_shape``, ``context.get_tensor_shape``, ``context.set_tensor_address``,
``context.execute_async_v3(stream.handle)``; the builder's are listed in ``builder``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engines.runtime.base import AFA_INPUT_CHW, Engine, EngineError, file_sha256
from engines.tensorrt.cache import EngineCache
from engines.tensorrt.cache_key import BuildSpec, EngineKey, OptimisationProfile
from engines.tensorrt.cuda_thread import CudaInferenceThread
from engines.tensorrt.engine_sidecar import EngineSidecarError, mismatches, read_engine_sidecar
from engines.tensorrt.facts import import_pycuda, import_tensorrt, probe_target_facts
from engines.tensorrt.heartbeat import SdNotifier

ENGINE_SUFFIXES = (".engine", ".plan")


class TensorRTEngine(Engine):
    backend = "tensorrt"
    suffixes = (".onnx", *ENGINE_SUFFIXES)

    def __init__(self, model_path: str | Path, *, input_chw: tuple[int, int, int] = AFA_INPUT_CHW,
                 max_batch: int = 16, threads: int = 2, precision: str = "fp16",
                 min_batch: int = 1, opt_batch: int = 4, device_index: int = 0,
                 cache_dir: str | Path | None = None, workspace_mib: int = 512,
                 notifier: SdNotifier | None = None, force_build: bool = False) -> None:
        super().__init__(model_path, input_chw=input_chw, max_batch=max_batch, threads=threads)
        import_tensorrt()
        import_pycuda()  # both fail here, in the caller's thread, with the install hint
        try:
            self.spec = BuildSpec(precision, OptimisationProfile(min_batch, min(opt_batch, max_batch), max_batch),
                                  workspace_mib)
        except ValueError as e:
            raise EngineError(f"tensorrt backend: {e}") from None
        self.device_index = device_index
        self.cache = EngineCache(cache_dir)
        self._notifier = notifier
        self._force_build = force_build
        self._precision = precision
        self._thread = CudaInferenceThread(device_index, self._locate_engine, self.input_chw, max_batch)
        self._thread.start_and_wait()
        self.engine_path: Path = self._thread.engine_path
        self.max_batch = self._thread.max_batch  # the profile's max may be below the batch limit

    def _locate_engine(self) -> Path:
        """Runs on the inference thread, with its CUDA context current (a build needs it)."""
        facts = probe_target_facts(self.device_index)
        if self.model_path.suffix.lower() in ENGINE_SUFFIXES:
            return self._checked_prebuilt(facts)
        from engines.tensorrt.builder import build_serialized_engine

        key = EngineKey.of(self.model_path.name, self.artefact_sha256, facts, self.spec)
        return self.cache.ensure(self.model_path, key, self.spec, build_serialized_engine,
                                 notifier=self._notifier, force=self._force_build)

    def _checked_prebuilt(self, facts) -> Path:
        path = self.model_path
        try:
            sidecar = read_engine_sidecar(path)
        except EngineSidecarError as e:
            raise EngineError(f"tensorrt backend: {path}: {e}; an engine cannot be checked against this "
                              "host without it: point engine.model at the ONNX model instead") from None
        profile = OptimisationProfile(*sidecar.profile)
        key = EngineKey(sidecar.model_file, sidecar.model_sha256, facts, sidecar.precision, profile)
        stale = mismatches(sidecar, key)
        if file_sha256(path) != sidecar.engine_sha256:
            stale.append("the file's sha256 differs from its sidecar's (truncated or replaced)")
        if stale:
            raise EngineError(f"tensorrt backend: engine {path.name} is stale ({'; '.join(stale)}) and "
                              "cannot be rebuilt without its ONNX model: point engine.model at the .onnx "
                              "(the cache rebuilds it) or run edge-build-engine on this host")
        self._precision = sidecar.precision
        return path

    @property
    def precision(self) -> str:
        return self._precision

    @property
    def device(self) -> str:
        return f"cuda:{self.device_index}"

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return self._thread.infer(batch)

    def close(self) -> None:
        self._thread.stop()
