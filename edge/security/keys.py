"""CURVE key files, in the ZPL certificate format libzmq's tools and pyzmq's ``zmq.auth`` read.

A key pair is two files: ``NAME.key`` holds only the public key (give it out freely: the
server's to every subscriber, a client's to the daemon's allowed-clients directory) and
``NAME.key_secret`` holds both keys and must stay private. Secret files are created with mode
0600 and refused on reading when others may read them, so a secret that leaked through loose
permissions is not silently used. No function here logs or puts a secret into an error message.
"""

from __future__ import annotations

import datetime
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.auth
from zmq.utils import z85

PUBLIC_SUFFIX = ".key"
SECRET_SUFFIX = ".key_secret"
#: Permission bits a secret key file must not have: any access by others, write by the group.
#: (Group read is allowed, so that an ``edge`` group can share one key without systemd credentials.)
FORBIDDEN_SECRET_MODE_BITS = stat.S_IRWXO | stat.S_IWGRP


class KeyFileError(ValueError):
    """A key file is missing, malformed, or too widely readable; the message names the file and
    the fix, never the key."""


@dataclass(frozen=True)
class KeyPair:
    """A CURVE key pair as Z85 text (40 characters each), as libzmq's socket options take it."""

    public: bytes
    secret: bytes

    def __repr__(self) -> str:  # a secret must never reach a log through a repr
        return f"KeyPair(public={self.public.decode()!r}, secret=<hidden>)"


def _certificate_text(public: bytes, secret: bytes | None, kind: str) -> str:
    lines = [f"#   CURVE {kind} certificate written by edge-keys on {datetime.datetime.now():%Y-%m-%d %H:%M}",
             "metadata", "curve", f'    public-key = "{public.decode()}"']
    if secret is not None:
        lines.insert(1, "#   Secret: keep this file private (mode 0600), never copy it off this host.")
        lines.append(f'    secret-key = "{secret.decode()}"')
    return "\n".join(lines) + "\n"


def write_key_pair(directory: Path, name: str, overwrite: bool = False) -> tuple[Path, Path]:
    """Make a fresh key pair; returns (public file, secret file). The secret file is 0600 from
    its creation (no moment where it is readable by others)."""
    if not name or "/" in name or name.startswith("."):
        raise KeyFileError(f"key name {name!r} is not a plain file name; use e.g. 'server' or 'fr-host-1'")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    public_path, secret_path = directory / f"{name}{PUBLIC_SUFFIX}", directory / f"{name}{SECRET_SUFFIX}"
    for path in (public_path, secret_path):
        if path.exists() and not overwrite:
            raise KeyFileError(f"{path} exists; keep it, or pass --force to replace the key pair")
    public, secret = zmq.curve_keypair()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    with os.fdopen(os.open(secret_path, flags, 0o600), "w") as f:
        os.fchmod(f.fileno(), 0o600)  # an existing file keeps its old mode through O_CREAT
        f.write(_certificate_text(public, secret, "secret"))
    with os.fdopen(os.open(public_path, flags, 0o644), "w") as f:
        f.write(_certificate_text(public, None, "public"))
    return public_path, secret_path


def check_z85_key(key: bytes, where: str) -> bytes:
    """A 40-character Z85 CURVE key, else KeyFileError (without echoing the text)."""
    try:
        if len(key) == 40 and len(z85.decode(key)) == 32:
            return key
    except (ValueError, KeyError, TypeError):
        pass
    raise KeyFileError(f"{where}: not a 40-character Z85 CURVE key; make keys with edge-keys generate")


def load_public_key(path: str | os.PathLike) -> bytes:
    """The public key of a ``.key`` (or ``.key_secret``) file."""
    path = Path(path)
    try:
        public, _ = zmq.auth.load_certificate(path)
    except OSError:
        raise KeyFileError(f"{path}: no such key file; give the path of a NAME.key written by edge-keys") from None
    except ValueError:
        raise KeyFileError(f"{path}: no public-key line; is it a CURVE certificate from edge-keys?") from None
    return check_z85_key(public, str(path))


def secret_file_mode_problem(path: Path) -> str | None:
    """Why this secret file's permissions are unsafe, or None when they are fine."""
    mode = path.stat().st_mode
    if mode & FORBIDDEN_SECRET_MODE_BITS:
        return (f"{path} has mode {stat.S_IMODE(mode):04o}, so other users may read or change the secret key; "
                f"run: chmod 600 {path} (0640 with the service's group is accepted too)")
    return None


def load_key_pair(path: str | os.PathLike) -> KeyPair:
    """Both keys of a ``.key_secret`` file, after refusing unsafe permissions."""
    path = Path(path)
    if not path.is_file():
        raise KeyFileError(f"{path}: no such secret key file; make one with: edge-keys generate NAME --dir DIR")
    problem = secret_file_mode_problem(path)
    if problem is not None:
        raise KeyFileError(problem)
    try:
        public, secret = zmq.auth.load_certificate(path)
    except (OSError, ValueError):
        raise KeyFileError(f"{path}: not a CURVE certificate (no public-key line)") from None
    if secret is None:
        raise KeyFileError(f"{path}: holds only a public key; give the NAME{SECRET_SUFFIX} file instead")
    return KeyPair(check_z85_key(public, str(path)), check_z85_key(secret, str(path)))
