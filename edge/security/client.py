"""The subscriber's side of CURVE: the server's public key and this client's own key pair.

A face-recognition host keeps its ``NAME.key_secret`` private and gives ``NAME.key`` to each
daemon's operator (who puts it into the daemon's allowed-clients directory); it needs the
server's ``server.key`` (public) to connect. The same keys serve the SUB socket and the
snapshot DEALER.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import zmq

from edge.security.keys import KeyPair, load_key_pair, load_public_key


@dataclass(frozen=True)
class CurveClientKeys:
    server_public: bytes
    client: KeyPair

    @classmethod
    def from_files(cls, server_public_key: str | os.PathLike,
                   client_secret_key: str | os.PathLike) -> CurveClientKeys:
        """``server.key`` of the daemon and this client's ``NAME.key_secret``."""
        return cls(load_public_key(server_public_key), load_key_pair(client_secret_key))

    def apply(self, socket: zmq.Socket) -> None:
        """Make ``socket`` a CURVE client of that server (before it connects)."""
        socket.setsockopt(zmq.CURVE_SERVERKEY, self.server_public)
        socket.setsockopt(zmq.CURVE_PUBLICKEY, self.client.public)
        socket.setsockopt(zmq.CURVE_SECRETKEY, self.client.secret)
