"""ONNX export: parity with PyTorch, checker, TensorRT operators, dynamic batch, sidecar and its sha256."""

import json
import shutil

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from _model_fixtures import single_thread_torch, synthetic_faces  # noqa: F401  (autouse fixture)
from engines.architectures import build_model
from engines.checkpoint import save_checkpoint
from engines.evaluate import evaluate, calibrate_sidecar
from engines.export import export_onnx, export_with_sidecar
from engines.metrics import error_rates
from engines.sidecar import SidecarError, load_sidecar, sidecar_path
from engines.threshold_policy import ThresholdPolicy
from engines.trt_ops import TENSORRT_ONNX_OPS, unsupported_nodes


def _with_random_batch_norm_statistics(model, seed=0):
    """Running statistics away from (0, 1), so that parity covers the folded batch norms, and the
    last layer stretched so that the untrained scores of real faces spread over (0, 1) instead of
    all sitting at one value (an untrained network barely tells its inputs apart)."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    for module in model.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)):
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")  # keeps the signal through depth
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.copy_(0.1 * torch.randn(module.num_features, generator=generator))
            module.running_var.copy_(0.5 + torch.rand(module.num_features, generator=generator))
    model.eval()
    with torch.no_grad():
        logits, _ = model(torch.from_numpy(synthetic_faces(16, seed=seed).inputs))
        margin = logits[:, 1] - logits[:, 0]
        stretch = 2.0 / margin.std()
        last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
        last.weight[1] = last.weight[0] + stretch * (last.weight[1] - last.weight[0])
        last.bias[1] = last.bias[0] + stretch * (last.bias[1] - last.bias[0] - margin.mean())
    return model


def _session(path):
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("architecture,config", [
    ("afa", {"width_multiplier": 0.125}),
    ("afa", {"width_multiplier": 0.125, "upsampling": "transposed_conv", "augment": "sfam"}),
    ("resnet18_se", {"width_multiplier": 0.125}),
])
def test_onnx_matches_pytorch_at_batch_1_and_8(tmp_path, architecture, config):
    model = _with_random_batch_norm_statistics(build_model(architecture, config))
    graph = export_onnx(model, tmp_path / "m.onnx")
    onnx.checker.check_model(graph, full_check=True)
    session = _session(tmp_path / "m.onnx")
    assert [i.name for i in session.get_inputs()] == ["faces"] and [o.name for o in session.get_outputs()] == ["live_score"]
    preprocessed = synthetic_faces(8, seed=11).inputs  # faces through the paper's degradation
    random = np.random.default_rng(0).random((8, 5, 8, 8), dtype=np.float32)
    for faces in (preprocessed, random):
        for batch in (faces[:1], faces):
            (ours,) = session.run(["live_score"], {"faces": batch})
            with torch.no_grad():
                reference = model.live_score(torch.from_numpy(batch)).numpy()
            assert ours.shape == (len(batch),) and ours.dtype == np.float32
            assert np.abs(ours - reference).max() <= 1e-4
    assert reference.std() > 0.01  # the scores differ: parity is not trivially of constants


def test_exported_graph_has_dynamic_batch_opset_17_and_only_tensorrt_operators(tmp_path):
    graph = export_onnx(build_model("afa", {"width_multiplier": 0.125}).eval(), tmp_path / "m.onnx")
    assert max(o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")) >= 17
    batch_dim = graph.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param and not batch_dim.dim_value
    assert unsupported_nodes(graph) == []
    assert {n.op_type for n in graph.graph.node} <= TENSORRT_ONNX_OPS
    assert "Resize" in {n.op_type for n in graph.graph.node}  # the nearest ×2 upsampling of MFAM
    assert len(graph.graph.output) == 1  # no SR output in the deployed graph


def test_tensorrt_check_flags_foreign_operators_and_computed_weights():
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 1, 4, 4])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)
    nodes = [onnx.helper.make_node("NonZero", ["x"], ["nz"], name="nz"),
             onnx.helper.make_node("Conv", ["x", "x"], ["y"], name="conv")]
    graph = onnx.helper.make_model(onnx.helper.make_graph(nodes, "g", [x], [y]))
    problems = unsupported_nodes(graph)
    assert any("nz (NonZero)" in p for p in problems) and any("conv (Conv)" in p and "initializer" in p for p in problems)


@pytest.fixture(scope="module")
def exported_once(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exported")
    model = _with_random_batch_norm_statistics(build_model("afa", {"width_multiplier": 0.125}))
    save_checkpoint(folder / "best.pt", model, training_data={"description": "synthetic (test)"}, best_val_acer=0.1, epoch=3)
    export_with_sidecar(folder / "best.pt", folder / "afa.onnx")
    return folder


@pytest.fixture
def exported(exported_once, tmp_path):
    """A private copy of the checkpoint, the ONNX model and its sidecar (tests alter them)."""
    for name in ("best.pt", "afa.onnx", "afa.json"):
        shutil.copy(exported_once / name, tmp_path / name)
    return tmp_path / "afa.onnx"


def test_sidecar_describes_the_model_and_verifies_its_sha256(exported):
    from edge.processing.spec import PreprocessSpec

    sidecar = load_sidecar(exported)
    assert sidecar_path(exported).name == "afa.json"
    assert sidecar.model.architecture == "afa" and sidecar.model.width_multiplier == 0.125
    assert sidecar.input.name == "faces" and sidecar.input.channels == ("r", "g", "b", "depth", "ir")
    assert sidecar.output.name == "live_score" and sidecar.preprocess == PreprocessSpec().to_dict()
    assert sidecar.thresholds.for_camera("sr300") == 0.5 and "uncalibrated" in sidecar.thresholds.policy
    with open(exported, "ab") as stream:
        stream.write(b"tampered")
    with pytest.raises(SidecarError, match="has sha256 .* but its sidecar .* expects"):
        load_sidecar(exported)


def test_sidecar_errors_name_the_problem(exported):
    path = sidecar_path(exported)
    document = json.loads(path.read_text())
    document["thresholds"]["per_camera"] = {"sr300": 0.4}
    path.write_text(json.dumps(document))
    with pytest.raises(SidecarError, match="'default' entry"):
        load_sidecar(exported)
    path.unlink()
    with pytest.raises(SidecarError, match="not found: export the model"):
        load_sidecar(exported)


def test_evaluation_report_roc_and_calibrated_thresholds_in_the_sidecar(exported, tmp_path):
    from engines.data.arrays import FaceArrays

    val = FaceArrays.concatenate([synthetic_faces(60, 21, "sr300"), synthetic_faces(60, 22, "dcam710")])
    test = FaceArrays.concatenate([synthetic_faces(60, 23, "sr300"), synthetic_faces(60, 24, "dcam710")])
    report = evaluate(exported, test, val, ThresholdPolicy.parse("apcer:0.1"), tmp_path / "eval")
    assert set(report["thresholds"]) == {"default", "sr300", "dcam710"}
    scores = _session(exported).run(["live_score"], {"faces": test.inputs})[0]
    sr300 = test.camera_model == "sr300"
    expected = error_rates(test.labels[sr300], scores[sr300], report["thresholds"]["sr300"])
    assert report["test"]["per_camera_model"]["sr300"]["acer"] == pytest.approx(expected.acer)
    assert report["test"]["overall"]["tpr_at_fpr"]["0.0001"]["value"] is None  # 60 attacks cannot measure 1e-4
    assert (tmp_path / "eval" / "roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    json.loads((tmp_path / "eval" / "report.json").read_text())  # strict JSON (no NaN)

    calibrate_sidecar(exported, report, uncertain_half_width=0.03, val_description="val.npz")
    sidecar = load_sidecar(exported)  # sha256 still matches: only the sidecar changed
    assert sidecar.thresholds.for_camera("dcam710") == report["thresholds"]["dcam710"]
    assert sidecar.thresholds.uncertain_half_width == 0.03 and "apcer:0.1" in sidecar.thresholds.policy
    assert sidecar.metrics["test"]["overall"]["acer"] == report["test"]["overall"]["acer"]

    # A band that would leave no score live (threshold 0.96 ± 0.05) is refused, the sidecar kept.
    extreme = {**report, "thresholds": {**report["thresholds"], "dcam710": 0.96}}
    with pytest.raises(ValueError, match=r"0\.960 for camera model 'dcam710'.*uncertain-half-width"):
        calibrate_sidecar(exported, extreme, uncertain_half_width=0.05, val_description="val.npz")
    assert load_sidecar(exported).thresholds == sidecar.thresholds


def test_checkpoint_and_exported_model_evaluate_alike_at_a_fixed_threshold(exported, tmp_path):
    test = synthetic_faces(40, 31)
    policy = ThresholdPolicy.parse("fixed:0.5")
    onnx_report = evaluate(exported, test, None, policy, tmp_path / "onnx")
    torch_report = evaluate(exported.with_name("best.pt"), test, None, policy, tmp_path / "pt")
    assert onnx_report["thresholds"] == torch_report["thresholds"] == {"default": 0.5}
    from_onnx, from_torch = onnx_report["test"]["overall"], torch_report["test"]["overall"]
    assert (from_onnx["apcer"], from_onnx["npcer"]) == (from_torch["apcer"], from_torch["npcer"])


def test_command_lines_export_evaluate_and_calibrate(exported, tmp_path, capsys):
    from engines import evaluate as evaluate_cli
    from engines import export as export_cli

    assert export_cli.main(["--checkpoint", str(exported.with_name("best.pt")), "--out", str(tmp_path / "again.onnx")]) == 0
    assert load_sidecar(tmp_path / "again.onnx").model.sha256 == load_sidecar(exported).model.sha256  # reproducible
    synthetic_faces(40, 41, "sr300").save(tmp_path / "val.npz")
    synthetic_faces(40, 42, "sr300").save(tmp_path / "test.npz")
    common = ["--model", str(exported), "--test", str(tmp_path / "test.npz"), "--out", str(tmp_path / "eval")]
    assert evaluate_cli.main(common + ["--val", str(tmp_path / "val.npz"), "--policy", "eer", "--calibrate"]) == 0
    assert set(load_sidecar(exported).thresholds.per_camera) == {"default", "sr300"}
    capsys.readouterr()
    assert evaluate_cli.main(common + ["--policy", "median"]) == 2
    assert "threshold policy 'median' is not valid" in capsys.readouterr().err
    assert evaluate_cli.main(common + ["--policy", "apcer:0.01"]) == 2
    assert "give --val" in capsys.readouterr().err
    assert export_cli.main(["--checkpoint", str(exported.with_name("best.pt")), "--out", str(tmp_path / "m.txt")]) == 2
    assert "must end in .onnx" in capsys.readouterr().err
