"""install.sh and uninstall.sh into a throw-away root (issue 10): the layout, the key pair and
its modes, units that verify against the installed daemon, and ``edge-daemon check-config`` of
the installed configuration run by the installed virtual environment.

Offline on purpose: the product is built into a wheel from this checkout, and the target venv is
created first with a .pth that lends it this environment's dependencies (numpy, OpenCV, ONNX
Runtime ...), so install.sh's own ``pip install --no-deps`` puts only the product there. On a box
install.sh creates the venv itself and pip fetches the pinned dependencies."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from edge.config import shipped_model_path
from tests._daemon_fixtures import tiny_model_with_sidecar

REPO = Path(__file__).resolve().parents[1]
PREFIX, CONFDIR = "/opt/edge-fas", "/etc/edge"


def _base_python() -> str:
    return str(Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}")


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    work = tmp_path_factory.mktemp("install")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(work / "wheels"), str(REPO)], check=True, capture_output=True, timeout=300)
    wheel = next((work / "wheels").glob("edge_fas-*.whl"))
    root = work / "root"
    venv = root / PREFIX.lstrip("/") / "venv"
    subprocess.run([_base_python(), "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (site / "dev-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    result = subprocess.run(["bash", str(REPO / "deploy" / "install.sh"), "--root", str(root), "--wheel", str(wheel),
                             "--python", _base_python(), "--pip-option=--no-deps"],
                            capture_output=True, text=True, timeout=300, cwd="/")
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def _in(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


def test_layout_and_modes(stage):
    for path in (f"{PREFIX}/venv/bin/edge-daemon", f"{CONFDIR}/edge.toml", f"{CONFDIR}/keys/server.key",
                 f"{CONFDIR}/keys/server.key_secret", "/etc/systemd/system/edge-fas.service",
                 "/etc/systemd/system/edge-fas@.service", "/etc/udev/rules.d/99-edge-cameras.rules",
                 f"{PREFIX}/share/doc/edge-fas/README.md"):
        assert _in(stage, path).exists(), path
    assert _in(stage, f"{CONFDIR}/clients").is_dir()
    mode = lambda p: stat.S_IMODE(_in(stage, p).stat().st_mode)  # noqa: E731
    assert mode(f"{CONFDIR}/keys/server.key_secret") == 0o600 and mode(f"{CONFDIR}/keys") == 0o700
    assert mode(f"{CONFDIR}/edge.toml") == 0o640
    unit = _in(stage, "/etc/systemd/system/edge-fas.service").read_text()
    assert f"ExecStart={PREFIX}/venv/bin/edge-daemon run --config {CONFDIR}/edge.toml" in unit
    assert "@PREFIX@" not in unit and "@CONFDIR@" not in unit
    assert f'allowed_clients_dir = "{CONFDIR}/clients"' in _in(stage, f"{CONFDIR}/edge.toml").read_text()


def test_the_installed_venv_runs_the_installed_product(stage):
    python = _in(stage, f"{PREFIX}/venv/bin/python")
    where = subprocess.run([str(python), "-c", "import edge; print(edge.__file__)"], capture_output=True,
                           text=True, cwd="/", timeout=120)
    assert str(stage) in where.stdout, where.stdout + where.stderr


def test_installed_configuration_passes_check_config(stage, tmp_path):
    daemon = str(_in(stage, f"{PREFIX}/venv/bin/edge-daemon"))
    config = _in(stage, f"{CONFDIR}/edge.toml")
    as_installed = subprocess.run([daemon, "check-config", str(config)], capture_output=True, text=True,
                                  cwd="/", timeout=120)
    if shipped_model_path().is_file():  # the wheel carries it: the installed file must pass as it is
        assert as_installed.returncode == 0, as_installed.stderr
    else:
        assert "shipped model is not installed" in as_installed.stderr, as_installed.stderr
    model = tiny_model_with_sidecar(tmp_path)
    with_model = tmp_path / "edge.toml"
    with_model.write_text(config.read_text().replace('model = ""', f"model = {str(model)!r}"))
    result = subprocess.run([daemon, "check-config", str(with_model)], capture_output=True, text=True, cwd="/",
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "1 camera(s) (cam1=sr300)" in result.stdout


def test_installed_units_verify_against_the_installed_daemon(stage, tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze missing: apt-get install systemd (bootstrap.sh does)"
    for name in ("edge-fas.service", "edge-fas@.service"):
        text = _in(stage, f"/etc/systemd/system/{name}").read_text().replace(PREFIX, str(_in(stage, PREFIX)))
        path = tmp_path / name.replace("@.", "@door.")
        path.write_text(text)
        result = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_reinstall_keeps_the_configuration_and_keys_then_uninstall_removes_the_product(stage):
    root, wheel = stage, next(stage.parent.glob("wheels/edge_fas-*.whl"))
    config = _in(root, f"{CONFDIR}/edge.toml")
    config.write_text(config.read_text() + "\n# edited by the operator\n")
    secret = _in(root, f"{CONFDIR}/keys/server.key_secret").read_bytes()
    again = subprocess.run(["bash", str(REPO / "deploy" / "install.sh"), "--root", str(root), "--wheel", str(wheel),
                            "--python", _base_python(), "--pip-option=--no-deps"],
                           capture_output=True, text=True, timeout=300, cwd="/")
    assert again.returncode == 0, again.stderr
    assert "edited by the operator" in config.read_text() and _in(root, f"{CONFDIR}/edge.toml.new").exists()
    assert _in(root, f"{CONFDIR}/keys/server.key_secret").read_bytes() == secret, "reinstall replaced the key"
    result = subprocess.run(["bash", str(REPO / "deploy" / "uninstall.sh"), "--root", str(root)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert not _in(root, PREFIX).exists() and not _in(root, "/etc/systemd/system/edge-fas.service").exists()
    assert "edited by the operator" in config.read_text(), "uninstall without --purge lost the configuration"
    assert _in(root, f"{CONFDIR}/keys/server.key_secret").read_bytes() == secret
    purged = subprocess.run(["bash", str(REPO / "deploy" / "uninstall.sh"), "--root", str(root), "--purge"],
                            capture_output=True, text=True, timeout=60)
    assert purged.returncode == 0 and not _in(root, CONFDIR).exists()
