"""``edge-keys``: make and hand out the CURVE keys of the daemon and its subscribers.

    edge-keys generate server --dir /etc/edge/keys            # server.key + server.key_secret (0600)
    edge-keys generate fr-host-1 --dir ./keys                 # on the face-recognition host
    edge-keys allow ./fr-host-1.key --clients-dir /etc/edge/clients
    edge-keys revoke fr-host-1 --clients-dir /etc/edge/clients
    edge-keys show /etc/edge/keys/server.key                  # the public key, Z85

Public keys (``NAME.key``) may be copied anywhere; secret ones (``NAME.key_secret``) never
leave their host and are never printed by this tool. The daemon re-reads the clients directory
when it changes, so ``allow`` and ``revoke`` need no restart (revoking refuses the client's
next connection; restart the daemon to cut one already open).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from edge.security.keys import PUBLIC_SUFFIX, KeyFileError, load_public_key, write_key_pair


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edge-keys", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="make a key pair NAME.key + NAME.key_secret")
    generate.add_argument("name", help="e.g. server, or the subscriber host's name")
    generate.add_argument("--dir", type=Path, default=Path("."), help="where to write them (default: here)")
    generate.add_argument("--force", action="store_true", help="replace an existing pair")
    allow = commands.add_parser("allow", help="add a subscriber's public key to the allow-list")
    allow.add_argument("public_key", type=Path, help="the subscriber's NAME.key")
    allow.add_argument("--clients-dir", type=Path, required=True, help="publish.allowed_clients_dir")
    revoke = commands.add_parser("revoke", help="remove a subscriber from the allow-list")
    revoke.add_argument("name", help="NAME of its NAME.key in the clients directory")
    revoke.add_argument("--clients-dir", type=Path, required=True, help="publish.allowed_clients_dir")
    show = commands.add_parser("show", help="print the public key of a key file")
    show.add_argument("key_file", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "generate":
            public, secret = write_key_pair(args.dir, args.name, overwrite=args.force)
            print(f"public key {public} (give it out), secret key {secret} (mode 0600, keep it here)")
            print(load_public_key(public).decode())
        elif args.command == "allow":
            allow(args.public_key, args.clients_dir)
        elif args.command == "revoke":
            target = args.clients_dir / f"{args.name}{PUBLIC_SUFFIX}"
            if not target.is_file():
                raise KeyFileError(f"{target}: no such client key; list {args.clients_dir} for the names")
            target.unlink()
            print(f"revoked {args.name}: its next connection is refused")
        else:
            print(load_public_key(args.key_file).decode())
    except KeyFileError as error:
        print(f"edge-keys: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"edge-keys: {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    return 0


def allow(public_key: Path, clients_dir: Path) -> Path:
    """Copy a public key file into the allow-list, refusing a file that holds a secret."""
    load_public_key(public_key)  # a readable, well-formed certificate
    if b"secret-key" in public_key.read_bytes():
        raise KeyFileError(f"{public_key} holds a secret key: give the client's {PUBLIC_SUFFIX} file, "
                           "never its .key_secret")
    if public_key.suffix != PUBLIC_SUFFIX:
        raise KeyFileError(f"{public_key}: the daemon only reads *{PUBLIC_SUFFIX} files; rename it NAME{PUBLIC_SUFFIX}")
    clients_dir.mkdir(parents=True, exist_ok=True)
    target = clients_dir / public_key.name
    # Write a new file and rename it in, so the daemon never reads a half-copied key.
    partial = clients_dir / f".{public_key.name}.partial"
    shutil.copyfile(public_key, partial)
    os.chmod(partial, 0o644)
    os.replace(partial, target)
    print(f"allowed {public_key.stem}: {target}")
    return target


if __name__ == "__main__":
    sys.exit(main())
