"""The PyTorch CUDA backend: parity with the CPU (FP32 within 1e-4, FP16 within 1e-2) at batch 1,
4 and 16, CUDA graphs for fixed batch sizes with padding in between — on a GPU where there is one
(skipped cleanly otherwise) — and its CPU dry-run path and errors everywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engines.runtime import EngineError, load_engine
from engines.runtime.torch_cuda import TorchCudaEngine, default_graph_batch_sizes
from tests._engine_fixtures import export_tiny_pt2, random_faces

REPO = Path(__file__).resolve().parents[1]


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


needs_cuda = pytest.mark.skipif(not cuda_available(), reason="needs an NVIDIA GPU with a CUDA build of torch")


@pytest.fixture(scope="module")
def pt2(tmp_path_factory) -> Path:
    return export_tiny_pt2(tmp_path_factory.mktemp("torch_cuda"))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    import torch

    from engines.afa import AFA, AFAConfig
    from engines.checkpoint import save_checkpoint

    torch.manual_seed(5)
    path = tmp_path_factory.mktemp("torch_cuda_ckpt") / "afa.pt"
    save_checkpoint(path, AFA(AFAConfig(width_multiplier=0.05)).eval())
    return path


def test_graph_batch_sizes_are_powers_of_two_and_the_limit():
    assert default_graph_batch_sizes(16) == (1, 2, 4, 8, 16)
    assert default_graph_batch_sizes(12) == (1, 2, 4, 8, 12)
    assert default_graph_batch_sizes(1) == (1,)


def test_the_cpu_dry_run_path_matches_the_torch_backend(pt2):
    reference = load_engine(pt2, "torch")
    fp32 = TorchCudaEngine(pt2, device="cpu", cuda_graphs=False, precision="fp32")
    fp16 = TorchCudaEngine(pt2, device="cpu", cuda_graphs=False, precision="fp16")
    assert (fp32.backend, fp32.precision, fp16.precision) == ("torch_cuda", "fp32", "fp16")
    for n in (1, 4, 16):
        faces = random_faces(n, seed=n)
        np.testing.assert_allclose(fp32.infer(faces), reference.infer(faces), atol=1e-6, rtol=0)
        half = fp16.infer(faces)
        np.testing.assert_allclose(half, reference.infer(faces), atol=1e-2, rtol=0)
        assert half.dtype == np.float32


def test_bad_options_are_refused_with_the_fix(pt2):
    with pytest.raises(EngineError, match="CUDA graphs need a CUDA device.*cuda_graphs = false"):
        TorchCudaEngine(pt2, device="cpu", cuda_graphs=True)
    with pytest.raises(EngineError, match="precision must be 'fp32' or 'fp16'"):
        TorchCudaEngine(pt2, device="cpu", cuda_graphs=False, precision="int8")
    with pytest.raises(EngineError, match="device must be 'cuda\\[:n\\]' or 'cpu'"):
        TorchCudaEngine(pt2, device="mps", cuda_graphs=False)


@pytest.mark.skipif(cuda_available(), reason="checks the message where CUDA is absent")
def test_without_cuda_the_error_says_so(pt2):
    with pytest.raises(EngineError, match="CUDA is not available to PyTorch.*fallback_to_cpu"):
        load_engine(pt2, "torch_cuda")


@needs_cuda
@pytest.mark.gpu
@pytest.mark.parametrize("graphs", [True, False])
def test_fp32_on_the_gpu_matches_the_cpu_within_1e_4(pt2, checkpoint, graphs):
    for artefact in (pt2, checkpoint):
        cpu = load_engine(artefact, "torch")
        gpu = TorchCudaEngine(artefact, precision="fp32", cuda_graphs=graphs)
        assert gpu.device == "cuda:0"
        assert gpu.graph_batch_sizes == ((1, 2, 4, 8, 16) if graphs else ())
        for n in (1, 3, 4, 11, 16):  # 3 and 11 replay the graphs of 4 and 16, zero-padded
            faces = random_faces(n, seed=100 + n)
            np.testing.assert_allclose(gpu.infer(faces), cpu.infer(faces), atol=1e-4, rtol=0)


@needs_cuda
@pytest.mark.gpu
def test_fp16_on_the_gpu_matches_the_cpu_within_1e_2(pt2, checkpoint):
    for artefact in (pt2, checkpoint):
        cpu = load_engine(artefact, "torch")
        gpu = TorchCudaEngine(artefact, precision="fp16", cuda_graphs=True, graph_batch_sizes=(1, 4, 16))
        assert gpu.precision == "fp16" and gpu.graph_batch_sizes == (1, 4, 16)
        for n in (1, 4, 16):
            faces = random_faces(n, seed=200 + n)
            np.testing.assert_allclose(gpu.infer(faces), cpu.infer(faces), atol=1e-2, rtol=0)


@needs_cuda
@pytest.mark.gpu
def test_graph_replays_do_not_leak_one_batch_into_the_next(pt2):
    gpu = TorchCudaEngine(pt2, precision="fp32", cuda_graphs=True)
    big, small = random_faces(16, seed=1), random_faces(3, seed=2)
    alone = gpu.infer(small).copy()
    gpu.infer(big)
    np.testing.assert_array_equal(gpu.infer(small), alone)
    few_graphs = TorchCudaEngine(pt2, precision="fp32", cuda_graphs=True, graph_batch_sizes=(1, 4))
    cpu = load_engine(pt2, "torch")  # 16 faces: past every captured size, so run eagerly
    np.testing.assert_allclose(few_graphs.infer(big), cpu.infer(big), atol=1e-4, rtol=0)


def test_the_gpu_check_script_dry_runs_on_the_cpu(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "engines.tensorrt.gpu_check", "--device", "cpu", "--iterations", "2",
         "--warm-up", "1", "--width", "0.05", "--threads", "1", "--json", str(tmp_path / "check.json")],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("torch_cuda")]
    assert [(r[1], r[2], int(r[3])) for r in rows] == [
        ("eager", "fp32", 1), ("eager", "fp32", 4), ("eager", "fp32", 16),
        ("eager", "fp16", 1), ("eager", "fp16", 4), ("eager", "fp16", 16)]
    assert all(r[6] == "yes" for r in rows)
    report = json.loads((tmp_path / "check.json").read_text())
    assert report["environment"]["device"] == "cpu" and len(report["rows"]) == 6
    assert all(row["p50_ms"] > 0 and row["faces_per_s"] > 0 for row in report["rows"])
