"""ONNX Runtime backend: the daemon's default on CPU boxes (x86_64 and aarch64).

One session is created at load and reused for every call; intra-op threads are set explicitly
(ONNX Runtime's default takes every core, which would starve the capture and detection threads),
and inter-op parallelism is off because the AFA graph is a single chain.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from engines.runtime.base import AFA_INPUT_CHW, Engine, EngineError

_PRECISION_OF_ONNX_TYPE = {"tensor(float)": "fp32", "tensor(float16)": "fp16", "tensor(int8)": "int8"}


class OnnxRuntimeEngine(Engine):
    backend = "onnxruntime"
    suffixes = (".onnx",)

    def __init__(self, model_path: str | Path, *, input_chw: tuple[int, int, int] = AFA_INPUT_CHW,
                 max_batch: int = 16, threads: int = 2,
                 providers: tuple[str, ...] = ("CPUExecutionProvider",)) -> None:
        super().__init__(model_path, input_chw=input_chw, max_batch=max_batch, threads=threads)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        available = ort.get_available_providers()
        missing = [p for p in providers if p not in available]
        if missing:
            raise EngineError(
                f"onnxruntime: execution provider(s) {missing} are not available in this build "
                f"(available: {available}); use engine.backend = \"onnxruntime\" on CPU or install "
                "the matching onnxruntime package"
            )
        try:
            self._session = ort.InferenceSession(str(self.model_path), sess_options=options,
                                                 providers=list(providers))
        except Exception as e:  # ORT raises its own exception types for every parse/load failure
            raise EngineError(f"onnxruntime: cannot load {str(self.model_path)!r}: {e}") from e
        inputs = self._session.get_inputs()
        outputs = self._session.get_outputs()
        if len(inputs) != 1 or len(outputs) != 1:
            raise EngineError(
                f"onnxruntime: {self.model_path.name} has {len(inputs)} inputs and {len(outputs)} "
                "outputs; the contract is one input (faces) and one output (live_score)"
            )
        self._input_name = inputs[0].name
        self._output_name = outputs[0].name
        declared_chw = tuple(inputs[0].shape[1:])
        if all(isinstance(d, int) for d in declared_chw) and declared_chw != self.input_chw:
            raise EngineError(
                f"onnxruntime: {self.model_path.name} takes N×{declared_chw} but the processing "
                f"spec gives N×{self.input_chw}; export the model for this spec"
            )
        self._precision = _PRECISION_OF_ONNX_TYPE.get(inputs[0].type, inputs[0].type)
        self._device = self._session.get_providers()[0]

    @property
    def precision(self) -> str:
        return self._precision

    @property
    def device(self) -> str:
        return self._device

    def _run(self, batch: np.ndarray) -> np.ndarray:
        if self._precision == "fp16":  # a half-precision export takes half-precision faces
            batch = batch.astype(np.float16)
        (scores,) = self._session.run([self._output_name], {self._input_name: batch})
        return scores
