"""The systemd units pass ``systemd-analyze verify`` and keep their hardening score (issue 10).

The units name the installed daemon (@PREFIX@/venv/bin/edge-daemon); here @PREFIX@ points at this
checkout's virtual environment so that verify can check the command exists."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UNITS = REPO / "deploy" / "systemd"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(SYSTEMD_ANALYZE is None,
                                reason="systemd-analyze missing: apt-get install systemd (bootstrap.sh does)")
#: "OK" in systemd-analyze security's scale (0 = locked down, 10 = exposed); README reports it.
MAX_EXPOSURE = 2.5


def _rendered(tmp_path: Path, unit: str, instance_name: str | None = None) -> Path:
    venv = Path(sys.executable).parent.parent
    text = (UNITS / unit).read_text().replace("@PREFIX@/venv", str(venv)).replace("@PREFIX@", "/opt/edge-fas")
    text = text.replace("@CONFDIR@", "/etc/edge")
    path = tmp_path / (instance_name or unit)
    path.write_text(text)
    return path


def verify(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SYSTEMD_ANALYZE, "verify", str(path)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("unit,instance", [("edge-fas.service", None), ("edge-fas@.service", "edge-fas@door.service")])
def test_units_verify_without_a_warning(tmp_path, unit, instance):
    result = verify(_rendered(tmp_path, unit, instance))
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_verify_would_catch_a_broken_unit(tmp_path):
    path = _rendered(tmp_path, "edge-fas.service")
    path.write_text(path.read_text().replace("NotifyAccess=main", "NotifyAcess=main"))
    assert "Unknown key" in verify(path).stderr


@pytest.mark.parametrize("unit", ["edge-fas.service", "edge-fas@.service"])
def test_units_carry_the_service_contract(unit):
    text = (UNITS / unit).read_text()
    for line in ("Type=notify", "NotifyAccess=main", "Restart=on-failure", "RestartPreventExitStatus=78",
                 "DevicePolicy=closed", "DeviceAllow=char-usb_device rw", "DeviceAllow=char-video4linux rw",
                 "CacheDirectory=edge-fas", "ProtectSystem=strict", "NoNewPrivileges=yes",
                 "LoadCredential=curve-server.key_secret:@CONFDIR@/keys/server.key_secret"):
        assert line in text.splitlines(), line
    assert re.search(r"^WatchdogSec=\d+", text, re.M) and re.search(r"^StartLimitBurst=\d+", text, re.M)
    assert "PrivateDevices" not in text.replace("No PrivateDevices=", "")


def test_exposure_score_is_ok(tmp_path):
    result = subprocess.run([SYSTEMD_ANALYZE, "security", "--offline=yes", str(_rendered(tmp_path, "edge-fas.service"))],
                            capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for edge-fas.service: ([\d.]+)", result.stdout)
    assert match, result.stdout[-2000:] + result.stderr
    score = float(match.group(1))
    print(f"\nsystemd-analyze security: {score}")
    assert score <= MAX_EXPOSURE
    readme = (REPO / "deploy" / "README.md").read_text()
    assert f"exposure level {score}" in readme, "deploy/README.md reports a different score"
