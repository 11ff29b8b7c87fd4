"""What the daemon tests run: a tiny exported model with a real sidecar, configuration files,
and the daemon as a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from edge.processing.spec import PreprocessSpec
from engines.sidecar import InputSpec, ModelInfo, Sidecar, Thresholds, file_sha256, write_sidecar
from tests._engine_fixtures import export_tiny_onnx

REPO = Path(__file__).resolve().parents[1]


def tiny_model_with_sidecar(directory: Path, spec: PreprocessSpec | None = None,
                            thresholds: dict[str, float] | None = None) -> Path:
    """The tiny ONNX stand-in for AFA, with a sidecar as ``edge-export`` writes it."""
    model = export_tiny_onnx(directory)
    sidecar = Sidecar(
        model=ModelInfo(architecture="afa", width_multiplier=0.01, config={"test": "tiny"},
                        parameter_count=500, file=model.name, sha256=file_sha256(model)),
        input=InputSpec(),
        preprocess=(spec or PreprocessSpec()).to_dict(),
        thresholds=Thresholds(per_camera=thresholds or {"default": 0.5}, policy="fixed (test)",
                              uncertain_half_width=0.0),
        training_data={"description": "untrained test network"},
    )
    write_sidecar(sidecar, model)
    return model


def write_config(path: Path, model: Path, pub: str, snap: str, cameras: str, extra: str = "") -> Path:
    path.write_text(
        f"{cameras}\n"
        f"[engine]\nmodel = {str(model)!r}\nthreads = 1\n"
        f"[publish]\nendpoints = [{pub!r}]\nsnapshot_endpoints = [{snap!r}]\nlinger_ms = 100\n"
        f"{extra}\n"
    )
    return path


def sim_camera(camera_id: str = "cam1", **options) -> str:
    opts = {"camera_model": "sr300", "scenario": "demo", **options}
    rendered = ", ".join(f"{k} = {_toml(v)}" for k, v in opts.items())
    return f'[[cameras]]\nid = "{camera_id}"\nplugin = "sim"\noptions = {{ {rendered} }}\n'


def replay_camera(camera_id: str, path: Path, **options) -> str:
    opts = {"path": str(path), "host_timestamps": "now", **options}
    rendered = ", ".join(f"{k} = {_toml(v)}" for k, v in opts.items())
    return f'[[cameras]]\nid = "{camera_id}"\nplugin = "replay"\noptions = {{ {rendered} }}\n'


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value).replace("'", '"')
    return str(value)


def daemon_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "edge.cli.daemon", *args]


def start_daemon(config: Path, env: dict[str, str] | None = None, foreground: bool = True) -> subprocess.Popen:
    return subprocess.Popen(
        daemon_command("run", "--config", str(config), *(["--foreground"] if foreground else [])),
        cwd=REPO, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )


def stop_daemon(daemon: subprocess.Popen, timeout_s: float = 10.0) -> tuple[int, str, str]:
    """SIGTERM, then the exit code and what the daemon printed. One that outlives ``timeout_s`` is
    killed and the caller fails with ``TimeoutExpired``."""
    daemon.send_signal(signal.SIGTERM)
    try:
        code = daemon.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.communicate()
        raise
    stdout, stderr = daemon.communicate()
    return code, stdout, stderr


def run_daemon(*args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run(daemon_command(*args), cwd=REPO, capture_output=True, text=True,
                          timeout=timeout_s)
