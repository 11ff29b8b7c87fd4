"""The one thread that owns the CUDA context and everything created in it.

pycuda's context belongs to the thread that made it; other threads get "invalid device context"
(runtime.md). So this thread creates the context (``cuda.Device(n).make_context()``), prepares
the engine there (a build, when the cache says so, also needs the context), deserialises it,
creates the execution context, one non-blocking stream and the buffers — page-locked host memory
and device memory, allocated once for the profile's largest batch — and serves every inference.
Callers hand it a batch and wait for the scores; on close it frees everything and pops the context.

Per call: copy the faces into the page-locked input, set the input shape, async H2D →
``execute_async_v3`` → async D2H, synchronise the stream.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import numpy as np

from engines.runtime.base import EngineError
from engines.tensorrt.facts import cuda_device, import_pycuda, import_tensorrt
from engines.tensorrt.trt_logging import tensorrt_logger

log = logging.getLogger(__name__)

#: CU_STREAM_NON_BLOCKING (cuda.h): no implicit synchronisation with the legacy default stream.
CU_STREAM_NON_BLOCKING = 0x1
_STOP = object()


class CudaInferenceThread(threading.Thread):
    def __init__(self, device_index: int, locate_engine: Callable[[], Path],
                 input_chw: tuple[int, int, int], max_batch: int) -> None:
        super().__init__(name=f"tensorrt-cuda{device_index}", daemon=True)
        self.device_index = device_index
        self._locate_engine = locate_engine
        self.input_chw = tuple(input_chw)
        self._requested_max_batch = max_batch
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._ready = threading.Event()
        self._setup_error: BaseException | None = None
        #: Set once set up: the engine file and the largest batch one call may carry.
        self.engine_path: Path | None = None
        self.max_batch = 0

    # ------------------------------------------------------------------ caller side
    def start_and_wait(self) -> None:
        """Start the thread; return once it can infer, or raise what stopped it."""
        self.start()
        self._ready.wait()
        if self._setup_error is not None:
            self.join()
            error = self._setup_error
            if isinstance(error, EngineError):
                raise error
            raise EngineError(f"tensorrt backend: setting up on CUDA device {self.device_index} "
                              f"failed: {type(error).__name__}: {error}") from error

    def infer(self, batch: np.ndarray) -> np.ndarray:
        if not self.is_alive():
            raise EngineError("tensorrt backend: the inference thread is not running (closed or failed)")
        result: Future = Future()
        self._requests.put((batch, result))
        while True:
            try:
                return result.result(timeout=1.0)
            except FutureTimeout:
                if not self.is_alive():
                    raise EngineError("tensorrt backend: the inference thread died during a call") from None

    def stop(self) -> None:
        if self.is_alive():
            self._requests.put(_STOP)
            self.join()

    # ------------------------------------------------------------------ the thread
    def run(self) -> None:
        cuda = None
        context = None
        try:
            cuda = import_pycuda()
            context = cuda_device(cuda, self.device_index).make_context()
        except BaseException as e:
            self._setup_error = e
            self._ready.set()
            return
        try:
            self._serve(cuda)
        except BaseException as e:  # recorded for start_and_wait; infer() sees the thread gone
            if not self._ready.is_set():
                self._setup_error = e
            else:
                log.exception("tensorrt inference thread failed")
        finally:
            self._ready.set()
            context.pop()
            context.detach()

    def _serve(self, cuda) -> None:
        held = _Held()
        try:
            self._set_up(cuda, held)
            self._ready.set()
            while (request := self._requests.get()) is not _STOP:
                batch, result = request
                try:
                    result.set_result(held.io.run(batch, held.stream))
                except BaseException as e:
                    result.set_exception(e if isinstance(e, EngineError) else EngineError(
                        f"tensorrt backend: inference failed: {type(e).__name__}: {e}"))
        finally:
            held.release()  # while the context is still current

    def _set_up(self, cuda, held: _Held) -> None:
        # Objects go straight into ``held`` (no locals), so a failure part-way leaves nothing
        # alive in a traceback that would outlive the context.
        trt = import_tensorrt()
        self.engine_path = self._locate_engine()
        held.logger = tensorrt_logger(trt, "engines.tensorrt.runtime")
        held.runtime = trt.Runtime(held.logger)
        if held.runtime is None:
            raise EngineError("tensorrt backend: trt.Runtime() returned None")
        held.engine = held.runtime.deserialize_cuda_engine(self.engine_path.read_bytes())
        if held.engine is None:
            raise EngineError(
                f"tensorrt backend: deserialize_cuda_engine returned None for {self.engine_path}: the "
                "engine was built by another TensorRT version or for another GPU, or is damaged (see the "
                "TensorRT errors logged under engines.tensorrt.runtime); delete it and let the cache rebuild it")
        held.execution = held.engine.create_execution_context()
        if held.execution is None:
            raise EngineError(f"tensorrt backend: create_execution_context returned None for "
                              f"{self.engine_path.name} (out of GPU memory?)")
        held.io = _EngineIO(trt, cuda, held.engine, held.execution, self.input_chw,
                            self._requested_max_batch)
        self.max_batch = held.io.max_batch
        held.stream = cuda.Stream(CU_STREAM_NON_BLOCKING)


class _Held:
    """What the thread created in its context, released in reverse order before the pop."""

    logger = runtime = engine = execution = io = stream = None

    def release(self) -> None:
        if self.stream is not None:
            self.stream.synchronize()
        if self.io is not None:
            self.io.free()
        self.stream = self.io = self.execution = None
        self.engine = self.runtime = self.logger = None


class _EngineIO:
    """The engine's one input and one output, with buffers sized for the profile's largest batch."""

    def __init__(self, trt, cuda, engine, execution, input_chw, requested_max_batch: int) -> None:
        self._cuda = cuda
        self._execution = execution
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        inputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        outputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT]
        if len(inputs) != 1 or len(outputs) != 1:
            raise EngineError(f"tensorrt backend: engine has inputs {inputs} and outputs {outputs}; "
                              "the contract is one input (faces) and one output (live_score)")
        self.input_name, self.output_name = inputs[0], outputs[0]
        _, _, profile_max = (tuple(shape) for shape in engine.get_tensor_profile_shape(self.input_name, 0))
        if profile_max[1:] != tuple(input_chw):
            raise EngineError(f"tensorrt backend: engine takes N×{profile_max[1:]} faces but the "
                              f"processing spec gives N×{tuple(input_chw)}; rebuild it from the matching model")
        self.max_batch = min(int(profile_max[0]), requested_max_batch)
        self.input_chw = tuple(input_chw)
        input_dtype = np.dtype(trt.nptype(engine.get_tensor_dtype(self.input_name)))
        output_dtype = np.dtype(trt.nptype(engine.get_tensor_dtype(self.output_name)))
        self._set_batch(self.max_batch)
        output_max_shape = tuple(execution.get_tensor_shape(self.output_name))
        self.host_input = cuda.pagelocked_empty((self.max_batch, *input_chw), input_dtype)
        self.host_output = cuda.pagelocked_empty(output_max_shape, output_dtype)
        self.device_input = cuda.mem_alloc(self.host_input.nbytes)
        self.device_output = cuda.mem_alloc(self.host_output.nbytes)
        for name, memory in ((self.input_name, self.device_input), (self.output_name, self.device_output)):
            if not execution.set_tensor_address(name, int(memory)):
                raise EngineError(f"tensorrt backend: set_tensor_address({name!r}) was refused")

    def _set_batch(self, n: int) -> None:
        if not self._execution.set_input_shape(self.input_name, (n, *self.input_chw)):
            raise EngineError(f"tensorrt backend: set_input_shape({self.input_name!r}, batch {n}) was "
                              f"refused; the engine's profile allows batches up to {self.max_batch}")

    def run(self, batch: np.ndarray, stream) -> np.ndarray:
        n = len(batch)
        if not 1 <= n <= self.max_batch:
            raise EngineError(f"tensorrt backend: batch of {n} faces outside 1..{self.max_batch}")
        self.host_input[:n] = batch  # casts to the engine's input type if it is not float32
        self._set_batch(n)
        output_shape = tuple(self._execution.get_tensor_shape(self.output_name))
        count = int(np.prod(output_shape))
        self._cuda.memcpy_htod_async(self.device_input, self.host_input[:n], stream)
        if not self._execution.execute_async_v3(stream.handle):
            raise EngineError("tensorrt backend: execute_async_v3 returned False (see the TensorRT log)")
        flat_output = self.host_output.reshape(-1)
        self._cuda.memcpy_dtoh_async(flat_output[:count], self.device_output, stream)
        stream.synchronize()
        return flat_output[:count].astype(np.float32).reshape(output_shape)

    def free(self) -> None:
        self.device_input.free()
        self.device_output.free()
