"""CURVE on the publisher's sockets, with pyzmq's ZAP authenticator as the allow-list.

CURVE alone only encrypts: anyone holding the server's *public* key could still subscribe. The
ZAP handler (``zmq.auth.thread.ThreadAuthenticator``) makes every CURVE handshake ask whether
the client's public key is one of the ``*.key`` files in the allowed-clients directory; a
client with any other key, and a plaintext client, never complete the handshake and so receive
nothing and can send nothing. The server secret comes from the systemd credential
(``LoadCredential=curve-server.key_secret:...``, found in ``$CREDENTIALS_DIRECTORY``) or from a
file named in the configuration, whose permissions must keep other users out.

The allowed-clients directory is re-read when it changes, so adding or removing a client key
needs no restart; removal refuses the client's *next* connection (ZAP runs at the handshake),
while a connection already open lasts until that client disconnects or the daemon restarts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import zmq
from zmq.auth.thread import ThreadAuthenticator

from edge.security.keys import PUBLIC_SUFFIX, KeyFileError, KeyPair, load_key_pair, load_public_key

log = logging.getLogger(__name__)

#: The credential name the unit's LoadCredential= gives the server's secret key file.
CREDENTIAL_NAME = "curve-server.key_secret"
#: ZAP domain of the daemon's sockets (one allow-list covers the XPUB and the snapshot ROUTER).
ZAP_DOMAIN = "edge-fas"
#: Directory stamp standing for "could not stat it".
_UNREADABLE = -1


def server_secret_path(configured: str, environ: Mapping[str, str] | None = None) -> Path:
    """Where the server's secret key file is: the configured path, else the systemd credential."""
    if configured:
        return Path(configured).expanduser()
    env = os.environ if environ is None else environ
    credentials = env.get("CREDENTIALS_DIRECTORY", "")
    if not credentials:
        raise KeyFileError(
            "publish.curve = true but publish.curve_secret_key is empty and $CREDENTIALS_DIRECTORY is not "
            f"set; run under the edge-fas unit (LoadCredential={CREDENTIAL_NAME}:/etc/edge/keys/server.key_secret) "
            "or set publish.curve_secret_key to the server's .key_secret file")
    return Path(credentials) / CREDENTIAL_NAME


class CurveServer:
    """The server side: its key pair, the allow-list, and the ZAP thread on one context."""

    def __init__(self, keys: KeyPair, allowed_clients_dir: Path) -> None:
        self.keys = keys
        self.allowed_clients_dir = Path(allowed_clients_dir)
        self._authenticator: ThreadAuthenticator | None = None
        self._directory_stamp: int | None = None
        #: Z85 public keys of the allowed clients (as the ZAP handler hands them over).
        self._allowed: frozenset[bytes] = frozenset()
        self._refused_logged: set[bytes] = set()

    @classmethod
    def from_files(cls, secret_key: str, allowed_clients_dir: str,
                   environ: Mapping[str, str] | None = None) -> CurveServer:
        keys = load_key_pair(server_secret_path(secret_key, environ))
        directory = Path(allowed_clients_dir).expanduser()
        if not directory.is_dir():
            raise KeyFileError(f"publish.allowed_clients_dir = {allowed_clients_dir!r}: not a directory; "
                               "create it and put each subscriber's NAME.key there (edge-keys allow)")
        return cls(keys, directory)

    def start(self, context: zmq.Context) -> None:
        """Start the ZAP handler; call before any protected socket binds."""
        self.refresh_allowed_clients()  # a bad key file stops the start, before any thread runs
        self._authenticator = ThreadAuthenticator(context, log=logging.getLogger("edge.security.zap"))
        self._authenticator.start()
        self._authenticator.configure_curve_callback(domain=ZAP_DOMAIN, credentials_provider=self)

    def callback(self, domain: str, client_public_key: bytes) -> bool:
        """The ZAP question (key in Z85), asked in the authenticator's thread at every CURVE handshake."""
        allowed = client_public_key in self._allowed
        if not allowed and client_public_key not in self._refused_logged:
            # A refused client retries every 100 ms: say it once per key, not at every try.
            if len(self._refused_logged) < 1000:
                self._refused_logged.add(client_public_key)
            log.warning("CURVE client refused (key not in %s): %s", self.allowed_clients_dir,
                        client_public_key.decode(errors="replace"))
        return allowed

    def protect(self, socket: zmq.Socket) -> None:
        """Make ``socket`` a CURVE server under our ZAP domain (before it binds)."""
        socket.setsockopt(zmq.ZAP_DOMAIN, ZAP_DOMAIN.encode())
        socket.setsockopt(zmq.CURVE_SECRETKEY, self.keys.secret)
        socket.setsockopt(zmq.CURVE_PUBLICKEY, self.keys.public)
        socket.setsockopt(zmq.CURVE_SERVER, 1)

    def refresh_allowed_clients(self) -> bool:
        """Re-read the allow-list if the directory changed since last time; True when it did.

        At start a bad key file is a KeyFileError; later it is logged and the list kept."""
        first = self._directory_stamp is None
        try:
            stamp = self.allowed_clients_dir.stat().st_mtime_ns
        except OSError:
            stamp = _UNREADABLE
        if stamp == self._directory_stamp:
            return False
        self._directory_stamp = stamp  # a problem is reported once per change, not at every poll
        try:
            if stamp == _UNREADABLE:
                raise KeyFileError("the directory is gone or unreadable")
            allowed = frozenset(load_public_key(path)
                                for path in sorted(self.allowed_clients_dir.glob(f"*{PUBLIC_SUFFIX}")))
        except (OSError, KeyFileError) as error:
            message = (f"publish.allowed_clients_dir {self.allowed_clients_dir}: {error}; every *.key there "
                       "must be a public key file written by edge-keys")
            if first:
                raise KeyFileError(message) from None
            log.error("%s; keeping the previous list", message)
            return False
        self._allowed = allowed
        if not allowed:
            log.warning("no client keys in %s: no subscriber can connect until one is added (edge-keys allow)",
                        self.allowed_clients_dir)
        else:
            log.info("CURVE: %d allowed client key(s) in %s; server public key %s", len(allowed),
                     self.allowed_clients_dir, self.keys.public.decode())
        return True

    def stop(self) -> None:
        if self._authenticator is not None:
            self._authenticator.stop()
            self._authenticator = None
