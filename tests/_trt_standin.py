"""A stand-in for the parts of TensorRT 10's and pycuda's Python interfaces the backend uses, so
the TensorRT backend's own code (engine cache → builder → CUDA thread → execution) runs on a box
without a GPU. It is a stand-in for the vendors' libraries, not for our code, and it enforces the
rules that matter to us:

- a pycuda context belongs to the thread that made it: device memory and copies used from any
  other thread raise ``LogicError("invalid device context")``, as the real driver does;
- async copies need page-locked host memory; device allocations must be freed inside the context;
- ``set_input_shape`` refuses shapes outside the optimisation profile, ``execute_async_v3`` fails
  unless every tensor has an address, ``deserialize_cuda_engine`` returns None (and logs an
  error through the application's logger) for bytes that are not an engine of this "version".

The "engine" it serialises is the ONNX model plus the profile; execution runs it with ONNX
Runtime, so numerics are not under test here (the GPU parity tests are for that) — the plumbing
is: shapes, batch sizes, buffers, addresses, threads, the cache and the error paths.
"""

from __future__ import annotations

import enum
import json
import threading
import types

import numpy as np

VERSION = "10.3.0"
_MAGIC = b"STANDIN-TRT-ENGINE\n"


# ----------------------------------------------------------------------------- pycuda.driver
class Error(Exception):
    pass


class LogicError(Error):
    pass


_local = threading.local()
_device_memory: dict[int, bytearray] = {}
_next_pointer = [0x10000]
_state = {"initialised": False, "contexts_made": 0, "contexts_released": 0, "allocations": 0}


def init() -> None:
    _state["initialised"] = True


def _stack() -> list:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


def _require_context() -> None:
    if not _stack():
        raise LogicError("cuMemcpy failed: invalid device context")


class Context:
    def __init__(self, device: Device) -> None:
        self.device = device
        self.thread = threading.get_ident()
        self.detached = False

    def pop(self) -> None:
        if threading.get_ident() != self.thread or not _stack() or _stack()[-1] is not self:
            raise LogicError("cuCtxPopCurrent failed: invalid device context")
        _stack().pop()

    def detach(self) -> None:
        self.detached = True
        _state["contexts_released"] += 1


class Device:
    COUNT = 1

    def __init__(self, index: int) -> None:
        if not _state["initialised"]:
            raise LogicError("cuInit has not been called")
        if not 0 <= index < Device.COUNT:
            raise LogicError(f"cuDeviceGet failed: invalid device ordinal {index}")
        self.index = index

    @staticmethod
    def count() -> int:
        return Device.COUNT

    def name(self) -> str:
        return "Stand-in GPU"

    def compute_capability(self) -> tuple[int, int]:
        return (8, 7)

    def make_context(self) -> Context:
        context = Context(self)
        _stack().append(context)
        _state["contexts_made"] += 1
        return context


class _PageLocked(np.ndarray):
    pass


def pagelocked_empty(shape, dtype) -> np.ndarray:
    _require_context()
    return np.empty(shape, dtype).view(_PageLocked)


def _is_page_locked(array: np.ndarray) -> bool:
    while array is not None:
        if isinstance(array, _PageLocked):
            return True
        array = array.base if isinstance(array, np.ndarray) else None
    return False


class DeviceAllocation:
    def __init__(self, nbytes: int) -> None:
        self.pointer = _next_pointer[0]
        _next_pointer[0] += max(nbytes, 1) + 256
        _device_memory[self.pointer] = bytearray(nbytes)
        _state["allocations"] += 1

    def __int__(self) -> int:
        return self.pointer

    def free(self) -> None:
        _require_context()
        del _device_memory[self.pointer]
        _state["allocations"] -= 1


def mem_alloc(nbytes: int) -> DeviceAllocation:
    _require_context()
    return DeviceAllocation(nbytes)


class Stream:
    def __init__(self, flags: int = 0) -> None:
        _require_context()
        self.flags = flags
        self.handle = 0xABC0 + flags

    def synchronize(self) -> None:
        _require_context()


def memcpy_htod_async(dest, src: np.ndarray, stream: Stream) -> None:
    _require_context()
    if not _is_page_locked(src):
        raise LogicError("memcpy_htod_async: source is not page-locked host memory")
    data = np.ascontiguousarray(src).tobytes()
    _device_memory[int(dest)][:len(data)] = data


def memcpy_dtoh_async(dest: np.ndarray, src, stream: Stream) -> None:
    _require_context()
    if not _is_page_locked(dest):
        raise LogicError("memcpy_dtoh_async: destination is not page-locked host memory")
    dest.reshape(-1).view(np.uint8)[:] = np.frombuffer(_device_memory[int(src)], np.uint8)[:dest.nbytes]


# ----------------------------------------------------------------------------- tensorrt
class _Severity(enum.Enum):
    INTERNAL_ERROR = 0
    ERROR = 1
    WARNING = 2
    INFO = 3
    VERBOSE = 4


class ILogger:
    Severity = _Severity

    def __init__(self) -> None:
        pass


class TensorIOMode(enum.Enum):
    NONE = 0
    INPUT = 1
    OUTPUT = 2


class DataType(enum.Enum):
    FLOAT = 0
    HALF = 1


class MemoryPoolType(enum.Enum):
    WORKSPACE = 0


class BuilderFlag(enum.Enum):
    FP16 = 0
    TF32 = 7


def nptype(data_type: DataType):
    return {DataType.FLOAT: np.float32, DataType.HALF: np.float16}[data_type]


class _Tensor:
    def __init__(self, name: str, shape) -> None:
        self.name, self.shape = name, tuple(shape)


class _Network:
    def __init__(self) -> None:
        self.inputs: list[_Tensor] = []
        self.outputs: list[_Tensor] = []
        self.onnx = b""

    num_inputs = property(lambda self: len(self.inputs))
    num_outputs = property(lambda self: len(self.outputs))

    def get_input(self, index: int) -> _Tensor:
        return self.inputs[index]


class OnnxParser:
    def __init__(self, network: _Network, logger: ILogger) -> None:
        self.network, self.errors = network, []

    def parse_from_file(self, path: str) -> bool:
        import onnx

        try:
            model = onnx.load(path)
        except Exception as e:  # the real parser reports instead of raising
            self.errors.append(f"ModelImporter: {e}")
            return False
        dims = lambda value: [d.dim_value if d.dim_value else -1 for d in value.type.tensor_type.shape.dim]
        self.network.inputs = [_Tensor(i.name, dims(i)) for i in model.graph.input]
        self.network.outputs = [_Tensor(o.name, dims(o)) for o in model.graph.output]
        self.network.onnx = model.SerializeToString()
        return True

    num_errors = property(lambda self: len(self.errors))

    def get_error(self, index: int) -> str:
        return self.errors[index]


class _Profile:
    def __init__(self) -> None:
        self.shapes = {}

    def set_shape(self, name, minimum, optimum, maximum) -> None:
        self.shapes[name] = [list(minimum), list(optimum), list(maximum)]


class _TimingCache:
    def __init__(self, data: bytes) -> None:
        self.entries = json.loads(data) if data else {"layers": 0}

    def serialize(self) -> memoryview:
        return memoryview(json.dumps(self.entries).encode())


class _Config:
    def __init__(self) -> None:
        self.flags = {BuilderFlag.TF32}
        self.profiles: list[_Profile] = []
        self.timing_cache: _TimingCache | None = None
        self.pool = {}

    def set_memory_pool_limit(self, pool, size) -> None:
        self.pool[pool] = size

    def set_flag(self, flag) -> None:
        self.flags.add(flag)

    def clear_flag(self, flag) -> None:
        self.flags.discard(flag)

    def add_optimization_profile(self, profile: _Profile) -> int:
        self.profiles.append(profile)
        return len(self.profiles) - 1

    def create_timing_cache(self, data) -> _TimingCache:
        return _TimingCache(bytes(data))

    def set_timing_cache(self, cache: _TimingCache, ignore_mismatch: bool) -> bool:
        self.timing_cache = cache
        return True

    def get_timing_cache(self) -> _TimingCache:
        return self.timing_cache


class Builder:
    def __init__(self, logger: ILogger) -> None:
        self.logger = logger
        self.platform_has_fast_fp16 = True

    def create_network(self, flags: int = 0) -> _Network:
        return _Network()

    def create_builder_config(self) -> _Config:
        return _Config()

    def create_optimization_profile(self) -> _Profile:
        return _Profile()

    def build_serialized_network(self, network: _Network, config: _Config):
        _require_context()  # a build runs kernels: it needs the context current
        if len(config.profiles) != 1:
            self.logger.log(_Severity.ERROR, "network has dynamic inputs but no optimization profile")
            return None
        config.timing_cache.entries["layers"] += 1
        header = {"inputs": [t.name for t in network.inputs], "outputs": [t.name for t in network.outputs],
                  "profile": config.profiles[0].shapes, "fp16": BuilderFlag.FP16 in config.flags,
                  "tf32": BuilderFlag.TF32 in config.flags, "version": VERSION}
        return memoryview(_MAGIC + json.dumps(header).encode() + b"\n" + network.onnx)


class Runtime:
    def __init__(self, logger: ILogger) -> None:
        self.logger = logger

    def deserialize_cuda_engine(self, data: bytes):
        _require_context()
        if not data.startswith(_MAGIC):
            self.logger.log(_Severity.ERROR, "IRuntime::deserializeCudaEngine: Error Code 1: Serialization "
                                             "(Serialization assertion magicTagRead == kMAGIC_TAG failed.)")
            return None
        header, onnx_bytes = data[len(_MAGIC):].split(b"\n", 1)
        return _Engine(json.loads(header), onnx_bytes)


class _Engine:
    def __init__(self, header: dict, onnx_bytes: bytes) -> None:
        import onnxruntime

        self.header = header
        self.session = onnxruntime.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
        self.names = header["inputs"] + header["outputs"]

    num_io_tensors = property(lambda self: len(self.names))

    def get_tensor_name(self, index: int) -> str:
        return self.names[index]

    def get_tensor_mode(self, name: str) -> TensorIOMode:
        return TensorIOMode.INPUT if name in self.header["inputs"] else TensorIOMode.OUTPUT

    def get_tensor_dtype(self, name: str) -> DataType:
        return DataType.FLOAT

    def get_tensor_profile_shape(self, name: str, profile_index: int):
        return self.header["profile"][name]

    def create_execution_context(self) -> _Execution:
        _require_context()
        return _Execution(self)


class _Execution:
    def __init__(self, engine: _Engine) -> None:
        self.engine = engine
        self.shapes: dict[str, tuple] = {}
        self.addresses: dict[str, int] = {}
        self.calls = 0

    def set_input_shape(self, name: str, shape) -> bool:
        low, _, high = self.engine.header["profile"][name]
        if len(shape) != len(low) or any(not lo <= s <= hi for lo, s, hi in zip(low, shape, high)):
            return False
        self.shapes[name] = tuple(shape)
        return True

    def get_tensor_shape(self, name: str) -> tuple:
        if name in self.engine.header["inputs"]:
            return self.shapes.get(name, (-1,))
        return (self.shapes[self.engine.header["inputs"][0]][0],)

    def set_tensor_address(self, name: str, pointer: int) -> bool:
        if pointer not in _device_memory:
            return False
        self.addresses[name] = pointer
        return True

    def execute_async_v3(self, stream_handle: int) -> bool:
        _require_context()
        if set(self.addresses) != set(self.engine.names) or set(self.shapes) != set(self.engine.header["inputs"]):
            return False
        (input_name,) = self.engine.header["inputs"]
        (output_name,) = self.engine.header["outputs"]
        shape = self.shapes[input_name]
        count = int(np.prod(shape))
        faces = np.frombuffer(_device_memory[self.addresses[input_name]], np.float32)[:count].reshape(shape)
        (scores,) = self.engine.session.run([output_name], {input_name: faces})
        data = np.ascontiguousarray(scores, np.float32).tobytes()
        _device_memory[self.addresses[output_name]][:len(data)] = data
        self.calls += 1
        return True


def modules() -> dict[str, types.ModuleType]:
    """``sys.modules`` entries: tensorrt, pycuda and pycuda.driver."""
    namespace = globals()
    trt = types.ModuleType("tensorrt")
    for name in ("ILogger", "TensorIOMode", "DataType", "MemoryPoolType", "BuilderFlag", "nptype",
                 "OnnxParser", "Builder", "Runtime"):
        setattr(trt, name, namespace[name])
    trt.__version__ = VERSION
    driver = types.ModuleType("pycuda.driver")
    for name in ("Error", "LogicError", "init", "Device", "Context", "pagelocked_empty", "mem_alloc",
                 "Stream", "memcpy_htod_async", "memcpy_dtoh_async"):
        setattr(driver, name, namespace[name])
    pycuda = types.ModuleType("pycuda")
    pycuda.driver = driver
    return {"tensorrt": trt, "pycuda": pycuda, "pycuda.driver": driver}


def state() -> dict:
    return dict(_state)
