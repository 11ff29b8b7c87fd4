"""Configuration: the embedded default and the deploy example validate; every kind of mistake
is reported naming the key, the value and the fix, and the daemon exits 78 before publishing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import zmq

from edge.config import EX_CONFIG, ConfigError, check_model, load_config, parse_config
from edge.processing.spec import PreprocessSpec
from tests._daemon_fixtures import REPO, run_daemon, sim_camera, tiny_model_with_sidecar, write_config
from tests._zmq_fixtures import free_tcp_endpoint


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return tiny_model_with_sidecar(tmp_path_factory.mktemp("model"))


def _problems(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="test.toml")
    return caught.value.report()


def test_embedded_default_and_deploy_example_are_valid():
    default = load_config()
    assert [(c.id, c.plugin) for c in default.cameras] == [("cam1", "sim")]
    assert default.engine.backend == "auto" and default.model_path().name == "afa_sim.onnx"
    assert default.publish.endpoints[0].startswith("tcp://127.0.0.1:")
    example = load_config(REPO / "deploy" / "edge.example.toml")
    assert example.cameras[0].plugin_options().scenario == "demo"
    assert example.processing == PreprocessSpec()


def test_unknown_key_is_named_with_the_fix():
    report = _problems(sim_camera() + "[engine]\nthread = 2\n")
    assert "engine.thread: unknown key (value 2); remove it or correct its spelling" in report


def test_wrong_type_names_key_and_value():
    report = _problems(sim_camera() + '[engine]\nthreads = "two"\n')
    assert "engine.threads = 'two'" in report and "integer" in report


def test_camera_plugin_options_are_checked_by_the_plugin_schema():
    report = _problems(sim_camera(fps="fast"))
    assert "cameras.0" in report and "options.fps" in report and "'fast'" in report
    report = _problems('[[cameras]]\nid = "c"\nplugin = "nosuchcam"\n')
    assert "no camera plugin named 'nosuchcam'" in report and "sim" in report


def test_structural_mistakes():
    assert "cameras: required key is missing; add it" in _problems("[engine]\nthreads = 2\n")
    assert "used more than once" in _problems(sim_camera() + sim_camera())
    assert "cameras.0.id = 'a/b'" in _problems('[[cameras]]\nid = "a/b"\nplugin = "sim"\n')
    assert "unknown backend" in _problems(sim_camera() + '[engine]\nbackend = "tflite"\n')
    assert "live probability" in _problems(sim_camera() + "[decision.thresholds]\nsr300 = 3\n")


def test_missing_model_and_spec_mismatch_are_config_errors(model, tmp_path):
    config = parse_config(sim_camera() + f"[engine]\nmodel = {str(tmp_path / 'nope.onnx')!r}\n")
    with pytest.raises(ConfigError, match=r"engine.model = .*nope.onnx.*not found"):
        check_model(config)
    other = PreprocessSpec(crop_scale=1.2)
    config = parse_config(sim_camera() + f"[engine]\nmodel = {str(model)!r}\n"
                          + "[processing]\ncrop_scale = 1.2\n")
    assert config.processing == other
    with pytest.raises(ConfigError) as caught:
        check_model(config)
    assert "processing.crop_scale = 1.2 but model tiny.onnx was trained with 1.3" in str(caught.value)
    matching = parse_config(sim_camera() + f"[engine]\nmodel = {str(model)!r}\n")
    assert check_model(matching).thresholds.per_camera == {"default": 0.5}


def test_relative_model_path_is_relative_to_the_config_file(model, tmp_path):
    path = tmp_path / "conf" / "edge.toml"
    path.parent.mkdir()
    path.write_text(sim_camera() + f'[engine]\nmodel = "../{model.parent.name}/tiny.onnx"\n')
    assert load_config(path).model_path().resolve() == (tmp_path / model.parent.name / "tiny.onnx")


CASES = {
    "malformed_toml": ("[[cameras]\nid = 1\n", "not valid TOML"),
    "unknown_key": (sim_camera() + "[decision]\nsmoothing = 3\n", "decision.smoothing: unknown key"),
    "wrong_type": (sim_camera() + "[decision]\nexpiry_ms = [1]\n", "decision.expiry_ms"),
    "missing_model": (sim_camera() + '[engine]\nmodel = "/nonexistent/afa.onnx"\n', "not found"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_configuration_exits_78_before_anything_is_published(case, tmp_path):
    text, expected = CASES[case]
    pub = free_tcp_endpoint()
    path = tmp_path / "edge.toml"
    path.write_text(text + f"[publish]\nendpoints = [{pub!r}]\nsnapshot_endpoints = "
                    f"[{free_tcp_endpoint()!r}]\n" if case != "malformed_toml" else text)
    context = zmq.Context.instance()
    with context.socket(zmq.SUB) as sub:
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(pub)
        commands = [("run", "--config", str(path))]
        if case == "malformed_toml":  # check-config shares the loader: one case shows it
            commands.append(("check-config", str(path)))
        for command in commands:
            result = run_daemon(*command)
            assert result.returncode == EX_CONFIG, result.stderr
            assert expected in result.stderr
            assert str(path) in result.stderr
        time.sleep(0.2)
        assert sub.poll(100) == 0  # not a single message


def test_sidecar_mismatch_exits_78_naming_the_key(model, tmp_path):
    path = write_config(tmp_path / "edge.toml", model, free_tcp_endpoint(), free_tcp_endpoint(),
                        sim_camera(), extra="[processing]\ndepth_window_mm = 40.0\n")
    result = run_daemon("run", "--config", str(path))
    assert result.returncode == EX_CONFIG
    assert "processing.depth_window_mm = 40.0 but model tiny.onnx was trained with 50" in result.stderr


def test_check_config_accepts_a_good_file(model, tmp_path):
    path = write_config(tmp_path / "edge.toml", model, free_tcp_endpoint(), free_tcp_endpoint(),
                        sim_camera())
    result = run_daemon("check-config", str(path))
    assert result.returncode == 0, result.stderr
    assert "valid; 1 camera(s) (cam1=sim)" in result.stdout
