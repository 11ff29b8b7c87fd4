"""Export a trained checkpoint to ONNX with its sidecar: ``python -m engines.export`` / ``edge-export``.

The graph has one input ``faces`` (N×5×8×8 float32, r,g,b,depth,ir), one output ``live_score``
(N, softmax probability of live), a dynamic batch axis, opset ≥ 17 and no SR head: the SR image
feeds the classifier inside the graph (IV-C) but is not an output. Every operator is checked
against the TensorRT ONNX support list (``engines.trt_ops``); an unsupported one stops the export.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import onnx
import torch
from torch import nn

from engines.architectures import parameter_count
from engines.checkpoint import model_from_checkpoint
from engines.sidecar import DEFAULT_CAMERA, InputSpec, ModelInfo, Sidecar, Thresholds, file_sha256, write_sidecar
from engines.trt_ops import unsupported_nodes

MIN_OPSET = 17
UNCALIBRATED_THRESHOLD = 0.5


class LiveScoreGraph(nn.Module):
    """The deployed graph: faces → live score (the training-only SR output dropped)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.eval()  # the exporter restores the wrapper's mode afterwards: keep it eval

    def forward(self, faces: torch.Tensor) -> torch.Tensor:
        return self.model.live_score(faces)


class ExportError(RuntimeError):
    """The exported graph is unusable (fails the ONNX checker or holds an operator TensorRT lacks)."""


def export_onnx(model: nn.Module, onnx_path: str | Path, opset: int = MIN_OPSET, input_size_px: int = 8) -> onnx.ModelProto:
    if opset < MIN_OPSET:
        raise ValueError(f"opset={opset}: must be ≥ {MIN_OPSET} (the daemon's TensorRT and ONNX Runtime builds expect it)")
    onnx_path = Path(onnx_path)
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros(2, 5, input_size_px, input_size_px)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter is chosen on purpose (below)
        torch.onnx.export(
            LiveScoreGraph(model), (example,), str(onnx_path), input_names=["faces"], output_names=["live_score"],
            dynamic_axes={"faces": {0: "batch"}, "live_score": {0: "batch"}}, opset_version=opset,
            dynamo=False,  # the TorchScript exporter needs no onnxscript and yields plain, TensorRT-friendly ops
            do_constant_folding=True,
        )
    graph = _bypass_identities_of_initializers(onnx.load(str(onnx_path)))
    onnx.save(graph, str(onnx_path))
    onnx.checker.check_model(graph, full_check=True)
    problems = unsupported_nodes(graph)
    if problems:
        raise ExportError(f"{onnx_path}: {len(problems)} node(s) TensorRT cannot parse:\n  " + "\n  ".join(problems))
    return graph


def _bypass_identities_of_initializers(graph: onnx.ModelProto) -> onnx.ModelProto:
    """Point consumers of ``Identity(initializer)`` at the initializer itself.

    The exporter emits such Identity nodes where one weight is used twice (the input block reused
    at stride 2, IV-C); TensorRT wants convolution weights to be initializers, not node outputs.
    """
    initializers = {init.name for init in graph.graph.initializer}
    aliases = {node.output[0]: node.input[0] for node in graph.graph.node
               if node.op_type == "Identity" and node.input[0] in initializers}
    graph_outputs = {output.name for output in graph.graph.output}
    keep = [node for node in graph.graph.node if not (node.output and node.output[0] in aliases
                                                      and node.output[0] not in graph_outputs)]
    for node in keep:
        for i, name in enumerate(node.input):
            if name in aliases:
                node.input[i] = aliases[name]
    del graph.graph.node[:]
    graph.graph.node.extend(keep)
    return graph


def default_preprocess() -> dict:
    """The daemon's preprocessing spec, for checkpoints that do not carry their own."""
    try:
        from edge.processing.spec import PreprocessSpec
    except ImportError as error:
        raise ValueError(f"the checkpoint names no preprocessing spec and edge.processing.spec is unavailable ({error}); "
                         "pass --preprocess spec.json (a PreprocessSpec.to_dict())") from error
    return PreprocessSpec().to_dict()


def export_with_sidecar(checkpoint: str | Path, onnx_path: str | Path, opset: int = MIN_OPSET,
                        preprocess: dict | None = None) -> Sidecar:
    model, state = model_from_checkpoint(checkpoint)
    preprocess = preprocess or state.get("preprocess") or default_preprocess()
    input_size_px = int(preprocess.get("input_size_px", 8))
    export_onnx(model, onnx_path, opset, input_size_px)
    onnx_path = Path(onnx_path)
    sidecar = Sidecar(
        model=ModelInfo(architecture=model.architecture, width_multiplier=model.config.width_multiplier,
                        config=model.config.to_dict(), parameter_count=parameter_count(model),
                        file=onnx_path.name, sha256=file_sha256(onnx_path)),
        input=InputSpec(size_px=input_size_px),
        preprocess=preprocess,
        thresholds=Thresholds(per_camera={DEFAULT_CAMERA: UNCALIBRATED_THRESHOLD}, uncertain_half_width=0.05,
                              policy="uncalibrated (fixed 0.5): run edge-eval --calibrate on validation data of each camera model"),
        training_data=state.get("training_data", {"description": "not recorded in the checkpoint"}),
        metrics={"best_val_acer_at_eer": state.get("best_val_acer"), "epochs": state.get("epoch"),
                 "train_config": state.get("train_config")},
    )
    write_sidecar(sidecar, onnx_path)
    return sidecar


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="edge-export", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True, help="an edge-train checkpoint (best.pt)")
    p.add_argument("--out", required=True, help="the .onnx file to write; its sidecar goes beside it (.json)")
    p.add_argument("--opset", type=int, default=MIN_OPSET)
    p.add_argument("--preprocess", help="JSON file with PreprocessSpec.to_dict() (default: the checkpoint's, else the daemon's default)")
    args = p.parse_args(argv)
    if Path(args.out).suffix != ".onnx":
        print(f"edge-export: --out {args.out} must end in .onnx", file=sys.stderr)
        return 2
    try:
        preprocess = json.loads(Path(args.preprocess).read_text()) if args.preprocess else None
        sidecar = export_with_sidecar(args.checkpoint, args.out, args.opset, preprocess)
    except (ValueError, FileNotFoundError, ExportError) as error:
        print(f"edge-export: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"onnx": args.out, "sha256": sidecar.model.sha256, "parameters": sidecar.model.parameter_count}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
