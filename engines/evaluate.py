"""Evaluate a model with the paper's metrics (Section V-A3): ``python -m engines.evaluate`` / ``edge-eval``.

Scores come from a checkpoint (PyTorch) or an exported ``.onnx`` (ONNX Runtime, as deployed).
The threshold policy is explicit (``engines.threshold_policy``): fixed, or chosen per camera
model on the validation set and applied unchanged to test. Reports APCER, NPCER, ACER (live iff
s ≥ t), TPR@FPR = 1e-2, 1e-3, 1e-4 (n/a with a bound when too few attacks), APCER per attack
type, everything per camera model too; writes ``report.json`` and ``roc.png``. With
``--calibrate`` the chosen thresholds are written into the ONNX model's sidecar.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from engines.data.arrays import FaceArrays
from engines.data.sources import open_dataset
from engines.metrics import apcer_per_attack_type, error_rates, tpr_at_fpr
from engines.roc_plot import plot_roc
from engines.sidecar import Thresholds, load_sidecar, write_sidecar
from engines.threshold_policy import ThresholdPolicy, thresholds_per_camera

TPR_FPRS = (1e-2, 1e-3, 1e-4)


def score_artefact(model_path: str | Path, inputs: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Live scores from a ``.onnx`` file (ONNX Runtime, CPU) or an edge-train checkpoint (PyTorch, CPU)."""
    model_path = Path(model_path)
    if model_path.suffix == ".onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
        return np.concatenate([session.run(["live_score"], {"faces": inputs[i : i + batch_size]})[0]
                               for i in range(0, len(inputs), batch_size)])
    from engines.checkpoint import model_from_checkpoint
    from engines.inference import live_scores

    model, _ = model_from_checkpoint(model_path)
    return live_scores(model, inputs)


def _per_sample_thresholds(thresholds: dict[str, float], camera_models: np.ndarray) -> np.ndarray:
    return np.array([thresholds.get(c, thresholds["default"]) for c in camera_models.tolist()], dtype=np.float64)


def report_for(data: FaceArrays, scores: np.ndarray, thresholds: dict[str, float]) -> dict:
    """Every metric of one set at per-camera thresholds (unlisted cameras use "default")."""
    def block(mask: np.ndarray) -> dict:
        labels, s = data.labels[mask], scores[mask]
        t = _per_sample_thresholds(thresholds, data.camera_model[mask])
        return {
            **error_rates(labels, s, t).to_dict(),
            "tpr_at_fpr": {f"{f:g}": tpr_at_fpr(labels, s, f) for f in TPR_FPRS},
            "apcer_per_attack_type": apcer_per_attack_type(labels, s, data.presentation[mask], t),
        }

    everything = np.ones(len(data), bool)
    report = {"overall": block(everything), "per_camera_model": {}}
    for camera in sorted(set(data.camera_model.tolist())):
        mine = data.camera_model == camera
        report["per_camera_model"][camera] = {**block(mine), "threshold": thresholds.get(camera, thresholds["default"])}
    return report


def evaluate(model_path: str | Path, test: FaceArrays, val: FaceArrays | None, policy: ThresholdPolicy,
             out_dir: str | Path) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    test_scores = score_artefact(model_path, test.inputs)
    if policy.needs_validation:
        if val is None:
            raise ValueError(f"threshold policy {policy} is chosen on a validation set: give --val")
        val_scores = score_artefact(model_path, val.inputs)
        thresholds = thresholds_per_camera(policy, val.labels, val_scores, val.camera_model)
    else:
        val_scores, thresholds = None, {"default": policy.choose()}
    report = {
        "model": str(model_path),
        "tie_rule": "live iff live_score >= threshold",
        "policy": str(policy),
        "thresholds": thresholds,
        "test": report_for(test, test_scores, thresholds),
    }
    if val is not None and val_scores is not None:
        report["validation"] = report_for(val, val_scores, thresholds)
    curves = {f"test {c}": (test.labels[test.camera_model == c], test_scores[test.camera_model == c])
              for c in sorted(set(test.camera_model.tolist()))}
    curves["test (all)"] = (test.labels, test_scores)
    plot_roc(curves, out_dir / "roc.png", f"ROC of {Path(model_path).name}")
    report = _plain(report)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
    return report


def _plain(value):
    """JSON-ready copy: numpy numbers to Python, undefined rates (NaN) to null."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    return int(value) if isinstance(value, np.integer) else value


def calibrate_sidecar(onnx_path: str | Path, report: dict, uncertain_half_width: float, val_description: str) -> Path:
    """Write the report's per-camera thresholds, their policy and the test metrics into the model's sidecar.

    Refused when the uncertain band around a threshold reaches past 0 or 1: the daemon could then
    never decide live (or spoof) on that camera, every face would be ``uncertain``."""
    for camera_model, threshold in report["thresholds"].items():
        if not uncertain_half_width <= threshold <= 1 - uncertain_half_width:
            raise ValueError(
                f"threshold {threshold:.3f} for camera model {camera_model!r} with an uncertain band of "
                f"±{uncertain_half_width} leaves no room for {'live' if threshold > 0.5 else 'spoof'} scores: "
                "give a smaller --uncertain-half-width or a policy with a less extreme threshold (e.g. eer)")
    sidecar = load_sidecar(onnx_path)
    thresholds = Thresholds(per_camera=report["thresholds"], uncertain_half_width=uncertain_half_width,
                            policy=f"{report['policy']} chosen per camera model on {val_description}; live iff score >= threshold")
    metrics = {**sidecar.metrics, "test": report["test"]}
    return write_sidecar(sidecar.model_copy(update={"thresholds": thresholds, "metrics": metrics}), onnx_path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="edge-eval", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help=".onnx (ONNX Runtime) or .pt checkpoint (PyTorch)")
    p.add_argument("--test", nargs="+", required=True, help="test data: .npz, CASIA-SURF list file(s) or folder(s)")
    p.add_argument("--val", nargs="*", help="validation data on which apcer:/eer policies choose the threshold")
    p.add_argument("--policy", default="apcer:0.01", help="fixed:T | apcer:A | eer (default apcer:0.01)")
    p.add_argument("--live-label", type=int, choices=(0, 1), help="for CASIA-SURF lists: the label value meaning live")
    p.add_argument("--out", required=True, help="folder for report.json and roc.png")
    p.add_argument("--calibrate", action="store_true", help="write the thresholds into the .onnx model's sidecar")
    p.add_argument("--uncertain-half-width", type=float, default=0.05)
    args = p.parse_args(argv)
    try:
        policy = ThresholdPolicy.parse(args.policy)
        test = FaceArrays.concatenate([open_dataset(x, live_label=args.live_label) for x in args.test])
        val = FaceArrays.concatenate([open_dataset(x, live_label=args.live_label) for x in args.val]) if args.val else None
        report = evaluate(args.model, test, val, policy, args.out)
        if args.calibrate:
            if Path(args.model).suffix != ".onnx":
                raise ValueError(f"--calibrate writes the sidecar of an exported model: give the .onnx, not {args.model}")
            if not policy.needs_validation and args.val is None:
                print("edge-eval: calibrating with a fixed threshold", file=sys.stderr)
            print(f"sidecar written: {calibrate_sidecar(args.model, report, args.uncertain_half_width, ' '.join(args.val or ['(fixed)']))}")
    except (ValueError, FileNotFoundError) as error:
        print(f"edge-eval: {error}", file=sys.stderr)
        return 2
    overall = report["test"]["overall"]
    print(json.dumps({"thresholds": report["thresholds"], "apcer": overall["apcer"], "npcer": overall["npcer"],
                      "acer": overall["acer"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
