"""edge-build-engine: its settings come from the daemon's configuration (overridden by options),
bad settings exit 78 naming the key, and a host without TensorRT exits 69 saying what to install."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from edge.cli.build_engine import build_parser, settings
from edge.config import ConfigError
from engines.runtime.gpu_options import GpuOptions

REPO = Path(__file__).resolve().parents[1]
TENSORRT_PRESENT = importlib.util.find_spec("tensorrt") is not None


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge.cli.build_engine", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def config_file(tmp_path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "afa.onnx").write_bytes(b"onnx bytes")
    path = tmp_path / "edge.toml"
    path.write_text('[[cameras]]\nid = "cam1"\nplugin = "sim"\n'
                    '[engine]\nbackend = "tensorrt"\nmodel = "models/afa.onnx"\nbatch_limit = 24\n'
                    'cache_dir = "cache"\n[engine.gpu]\nprecision = "fp32"\nopt_batch = 6\n')
    return path


def test_settings_follow_the_configuration_and_options_override_them(config_file, tmp_path):
    model, gpu, max_batch, cache_dir = settings(build_parser().parse_args(["--config", str(config_file)]))
    assert model == tmp_path / "models" / "afa.onnx" and max_batch == 24 and cache_dir == tmp_path / "cache"
    assert gpu == GpuOptions(precision="fp32", opt_batch=6)
    _, gpu, max_batch, cache_dir = settings(build_parser().parse_args(
        ["--config", str(config_file), "--precision", "fp16", "--max-batch", "8", "--cache-dir", "/c"]))
    assert (gpu.precision, gpu.opt_batch, max_batch, cache_dir) == ("fp16", 6, 8, Path("/c"))


def test_bad_settings_are_configuration_errors(tmp_path):
    onnx = tmp_path / "afa.onnx"
    onnx.write_bytes(b"x")
    with pytest.raises(ConfigError, match="min_batch \\(8\\) must not exceed opt_batch \\(4\\)"):
        settings(build_parser().parse_args(["--model", str(onnx), "--min-batch", "8"]))
    with pytest.raises(ConfigError, match="engines are built from an .onnx model"):
        settings(build_parser().parse_args(["--model", str(tmp_path / "afa.pt2")]))
    with pytest.raises(ConfigError, match="give --model"):
        settings(build_parser().parse_args([]))
    result = run_cli("--model", str(onnx), "--min-batch", "3", "--opt-batch", "3", "--max-batch", "2")
    assert result.returncode == 78
    assert "edge-build-engine: configuration command line is not valid" in result.stderr
    assert "min_batch <= opt_batch <= max_batch" in result.stderr
    missing = run_cli("--model", str(tmp_path / "absent.onnx"))
    assert missing.returncode == 78 and "absent.onnx not found" in missing.stderr


@pytest.mark.skipif(TENSORRT_PRESENT, reason="checks the exit where TensorRT is absent")
@pytest.mark.parametrize("check", [False, True])
def test_without_tensorrt_it_exits_69_saying_what_to_install(config_file, check):
    result = run_cli("--config", str(config_file), *(["--check"] if check else []))
    assert result.returncode == 69, result.stderr
    assert "TensorRT Python package is not importable" in result.stderr and "JetPack" in result.stderr
    assert not (config_file.parent / "cache").exists()  # nothing half-made
