"""Key files and ``edge-keys`` (issue 10): pairs in pyzmq's certificate format with a private
secret file, an allow-list that refuses secret files, revocation, and reading that refuses
secrets others may read."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest
import zmq.auth

from edge.security.keys import KeyFileError, load_key_pair, load_public_key, write_key_pair


def _keys(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edge.cli.keys", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def test_generated_pair_is_private_and_readable_by_pyzmq(tmp_path):
    public, secret = write_key_pair(tmp_path, "server")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    pair = load_key_pair(secret)
    assert zmq.auth.load_certificate(public) == (pair.public, None)
    assert zmq.auth.load_certificate(secret) == (pair.public, pair.secret)
    assert pair.secret.decode() not in repr(pair)
    with pytest.raises(KeyFileError, match="exists"):
        write_key_pair(tmp_path, "server")


@pytest.mark.parametrize("mode,allowed", [(0o600, True), (0o640, True), (0o400, True), (0o644, False),
                                          (0o660, False), (0o604, False)])
def test_secret_file_modes(tmp_path, mode, allowed):
    _, secret = write_key_pair(tmp_path, "server")
    secret.chmod(mode)
    if allowed:
        assert load_key_pair(secret).secret
    else:
        with pytest.raises(KeyFileError, match=f"mode {mode:04o}"):
            load_key_pair(secret)


def test_edge_keys_generate_allow_show_revoke(tmp_path):
    made = _keys("generate", "fr-host-1", "--dir", str(tmp_path / "fr"))
    assert made.returncode == 0, made.stderr
    public = tmp_path / "fr" / "fr-host-1.key"
    secret_text = (tmp_path / "fr" / "fr-host-1.key_secret").read_text()
    secret = load_key_pair(tmp_path / "fr" / "fr-host-1.key_secret").secret.decode()
    assert secret not in made.stdout and load_public_key(public).decode() in made.stdout
    refused = _keys("allow", str(tmp_path / "fr" / "fr-host-1.key_secret"), "--clients-dir", str(tmp_path / "c"))
    assert refused.returncode == 1 and "holds a secret key" in refused.stderr and secret not in refused.stderr
    assert _keys("allow", str(public), "--clients-dir", str(tmp_path / "c")).returncode == 0
    assert (tmp_path / "c" / "fr-host-1.key").read_text() == public.read_text()
    assert "secret-key" not in (tmp_path / "c" / "fr-host-1.key").read_text() and "secret-key" in secret_text
    shown = _keys("show", str(tmp_path / "c" / "fr-host-1.key"))
    assert shown.stdout.strip() == load_public_key(public).decode()
    assert _keys("revoke", "fr-host-1", "--clients-dir", str(tmp_path / "c")).returncode == 0
    assert not (tmp_path / "c" / "fr-host-1.key").exists()
    again = _keys("revoke", "fr-host-1", "--clients-dir", str(tmp_path / "c"))
    assert again.returncode == 1 and "no such client key" in again.stderr


def test_a_garbled_key_is_refused_without_echoing_it(tmp_path):
    path = tmp_path / "broken.key"
    path.write_text('curve\n    public-key = "not-a-key-but-a-secret-looking-text"\n')
    with pytest.raises(KeyFileError, match="not a 40-character Z85") as error:
        load_public_key(path)
    assert "secret-looking" not in str(error.value)
