"""The TensorRT path: build an engine from the ONNX model, keep it in a cache keyed by everything
that makes it valid, and run it behind the engine contract (``engines.runtime.base.Engine``).

A serialised TensorRT engine is only valid for one TensorRT version, one GPU (compute capability,
or Jetson module), one precision and one optimisation profile. The cache names engines by exactly
those facts plus the model's sha256 (``cache_key``), keeps a sidecar JSON with the same facts
(``engine_sidecar``), and rebuilds — loudly, saying why — on any mismatch (``cache``).

Nothing here imports ``tensorrt`` or ``pycuda`` at module import time: the key, the sidecar and
the rebuild decision work on a box without a GPU, and the backend fails with a clear error there.
"""
