"""ONNX operators the TensorRT ONNX parser accepts, and a check of an exported graph against them.

Source of the list: the onnx-tensorrt support matrix (``docs/operators.md``, operators marked
supported for TensorRT 8.4–10.x; TensorRT 10 parses opsets 9–20). Only the default ONNX domain
counts: a node of any other domain would need a plugin. Restrictions that matter for AFA are
checked too: Conv/ConvTranspose weights must be initializers, Resize must be nearest or linear.
"""

from __future__ import annotations

import onnx

TENSORRT_ONNX_OPS: frozenset[str] = frozenset(
    """
    Abs Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh AveragePool BatchNormalization Cast Ceil
    Celu Clip Concat Constant ConstantOfShape Conv ConvTranspose Cos Cosh CumSum DepthToSpace
    DequantizeLinear Div Dropout Einsum Elu Equal Erf Exp Expand EyeLike Flatten Floor Gather
    GatherElements GatherND Gemm GlobalAveragePool GlobalLpPool GlobalMaxPool Greater GreaterOrEqual GRU
    HardSigmoid Identity If ImageScaler InstanceNormalization IsNaN LeakyRelu Less LessOrEqual Log
    LogSoftmax Loop LRN LSTM LpNormalization LpPool MatMul Max MaxPool Mean Min Mul Neg
    NonMaxSuppression Not Or Pad ParametricSoftplus Pow PRelu QuantizeLinear RandomUniform
    RandomUniformLike Range ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean
    ReduceMin ReduceProd ReduceSum ReduceSumSquare Relu Reshape Resize ReverseSequence RNN Round
    ScaledTanh Scan Scatter ScatterElements ScatterND Selu Shape Sigmoid Sign Sin Sinh Size Slice
    Softmax Softplus Softsign SpaceToDepth Split Sqrt Squeeze Sub Sum Tan Tanh ThresholdedRelu Tile
    TopK Transpose Unsqueeze Upsample Where Xor
    """.split()
)

#: Resize modes the TensorRT parser implements.
RESIZE_MODES = frozenset({"nearest", "linear"})


def unsupported_nodes(model: onnx.ModelProto) -> list[str]:
    """One line per node TensorRT would reject (empty list = the whole graph is supported)."""
    initializers = {init.name for init in model.graph.initializer}
    problems = []
    for node in model.graph.node:
        where = f"node {node.name or '?'} ({node.op_type})"
        if node.domain not in ("", "ai.onnx"):
            problems.append(f"{where}: domain {node.domain!r} is not the default ONNX domain")
        elif node.op_type not in TENSORRT_ONNX_OPS:
            problems.append(f"{where}: operator not in the TensorRT ONNX support matrix")
        elif node.op_type in ("Conv", "ConvTranspose") and node.input[1] not in initializers:
            problems.append(f"{where}: weights {node.input[1]!r} are computed, TensorRT needs an initializer")
        elif node.op_type == "Resize":
            mode = next((a.s.decode() for a in node.attribute if a.name == "mode"), "nearest")
            if mode not in RESIZE_MODES:
                problems.append(f"{where}: mode {mode!r}, TensorRT supports {sorted(RESIZE_MODES)}")
    return problems
