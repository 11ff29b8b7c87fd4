"""Engine contract: ONNX Runtime and PyTorch backends load real artefacts and agree."""

from __future__ import annotations

import numpy as np
import pytest

from engines.runtime import EngineError, backend_for_file, load_engine
from tests._engine_fixtures import export_tiny_onnx, export_tiny_pt2, random_faces, tiny_live_score_net


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory):
    directory = tmp_path_factory.mktemp("engine")
    return {"onnx": export_tiny_onnx(directory), "pt2": export_tiny_pt2(directory)}


def test_onnxruntime_and_torch_agree_within_1e_4(artefacts):
    ort_engine = load_engine(artefacts["onnx"])
    torch_engine = load_engine(artefacts["pt2"])
    assert (ort_engine.backend, torch_engine.backend) == ("onnxruntime", "torch")
    for n in (1, 4, 16):
        faces = random_faces(n, seed=n)
        a, b = ort_engine.infer(faces), torch_engine.infer(faces)
        assert a.shape == b.shape == (n,)
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)


def test_a_training_checkpoint_runs_its_live_score_like_its_onnx_export(tmp_path):
    import torch

    from engines.afa import AFA, AFAConfig
    from engines.checkpoint import save_checkpoint

    torch.manual_seed(7)
    network = AFA(AFAConfig(width_multiplier=0.05)).eval()
    checkpoint = tmp_path / "afa.pt"
    save_checkpoint(checkpoint, network)
    onnx_path = tmp_path / "afa.onnx"

    class Deployed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, faces):
            return self.network.live_score(faces)

    torch.onnx.export(Deployed().eval(), (torch.zeros(2, 5, 8, 8),), str(onnx_path),
                      input_names=["faces"], output_names=["live_score"],
                      dynamic_axes={"faces": {0: "n"}, "live_score": {0: "n"}}, opset_version=17,
                      dynamo=False)
    faces = random_faces(6, seed=11)
    from_checkpoint = load_engine(checkpoint)
    assert from_checkpoint.backend == "torch" and from_checkpoint.precision == "fp32"
    np.testing.assert_allclose(from_checkpoint.infer(faces), load_engine(onnx_path).infer(faces),
                               atol=1e-4, rtol=0)
    not_a_checkpoint = tmp_path / "other.pt"
    torch.save({"weights": 1}, not_a_checkpoint)
    with pytest.raises(EngineError, match="not an edge-fas checkpoint"):
        load_engine(not_a_checkpoint)


def test_scores_match_the_network_itself(artefacts):
    import torch

    faces = random_faces(8, seed=3)
    with torch.no_grad():
        expected = tiny_live_score_net()(torch.from_numpy(faces)).numpy()
    scores = load_engine(artefacts["onnx"]).infer(faces)
    np.testing.assert_allclose(scores, expected, atol=1e-5)
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores.std() > 1e-4  # the faces differ, so must their scores


def test_batches_larger_than_the_limit_are_split_without_changing_scores(artefacts):
    engine = load_engine(artefacts["onnx"], max_batch=3)
    faces = random_faces(10, seed=5)
    one_by_one = np.concatenate([engine.infer(faces[i:i + 1]) for i in range(10)])
    np.testing.assert_allclose(engine.infer(faces), one_by_one, atol=1e-6)
    assert engine.infer(np.zeros((0, 5, 8, 8), np.float32)).shape == (0,)


def test_engine_reports_backend_precision_hash_and_warm_up(artefacts):
    import hashlib

    engine = load_engine(artefacts["onnx"], threads=1, max_batch=8)
    info = engine.info()
    assert info.backend == "onnxruntime"
    assert info.precision == "fp32"
    assert info.device == "CPUExecutionProvider"
    assert info.artefact_sha256 == hashlib.sha256(artefacts["onnx"].read_bytes()).hexdigest()
    assert info.max_batch == 8 and info.input_chw == (5, 8, 8)
    assert not engine.warmed_up
    assert engine.warm_up() > 0.0
    assert engine.warmed_up


def test_backend_is_chosen_by_file_type():
    assert backend_for_file("m/afa.onnx") == "onnxruntime"
    assert backend_for_file("m/afa.pt2") == "torch"
    assert backend_for_file("m/afa.PT") == "torch"
    with pytest.raises(EngineError, match=r"\.bin.*engine\.backend"):
        backend_for_file("m/afa.bin")


def test_bad_input_gives_clear_errors(artefacts, tmp_path):
    engine = load_engine(artefacts["onnx"])
    with pytest.raises(EngineError, match=r"N×5×8×8, got shape \(2, 3, 8, 8\)"):
        engine.infer(np.zeros((2, 3, 8, 8), np.float32))
    with pytest.raises(EngineError, match="float32, got float64"):
        engine.infer(np.zeros((2, 5, 8, 8)))
    with pytest.raises(EngineError, match="does not exist.*engine.model"):
        load_engine(tmp_path / "missing.onnx")
    with pytest.raises(EngineError, match="unknown engine backend 'tensorflow'"):
        load_engine(artefacts["onnx"], backend="tensorflow")
    with pytest.raises(EngineError, match=r"'torch' loads \.pt2, \.pt files"):
        load_engine(artefacts["onnx"], backend="torch")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model")
    with pytest.raises(EngineError, match="cannot load"):
        load_engine(garbage)
    with pytest.raises(EngineError, match=r"takes N×\(5, 8, 8\) but the processing spec gives"):
        load_engine(artefacts["onnx"], input_chw=(5, 16, 16))
