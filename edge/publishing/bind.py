"""Binding the publisher's sockets, with errors that say which key, which endpoint and what to do."""

from __future__ import annotations

import errno
import socket as pysocket

import zmq


class PublishBindError(RuntimeError):
    """An endpoint could not be bound; raised by ``Publisher.start`` before anything is sent."""


def bind_all(sock: zmq.Socket, endpoints: list[str], key: str) -> list[str]:
    """Bind every endpoint; the endpoints actually bound (a ``:*`` port resolved) in order."""
    bound = []
    for endpoint in endpoints:
        if endpoint.startswith("ipc://"):
            refuse_live_ipc_path(endpoint, key)
        try:
            sock.bind(endpoint)
        except zmq.ZMQError as error:
            if error.errno == errno.EADDRINUSE:
                why = "address already in use (another edge-daemon or program holds it); pick a free port or stop it"
            else:
                why = f"{error.strerror}; check the interface address, the port and the path"
            raise PublishBindError(f"{key}: cannot bind {endpoint!r}: {why}") from None
        bound.append(sock.getsockopt_string(zmq.LAST_ENDPOINT))
    return bound


def refuse_live_ipc_path(endpoint: str, key: str) -> None:
    """libzmq unlinks an existing ipc path before binding, silently stealing it from a running
    daemon; refuse instead when something is still listening there."""
    path = endpoint[len("ipc://"):]
    probe = pysocket.socket(pysocket.AF_UNIX, pysocket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        return  # nobody listening: a stale file (or none) that binding may replace
    finally:
        probe.close()
    raise PublishBindError(
        f"{key}: cannot bind {endpoint!r}: address already in use (a process is listening on {path}); "
        "pick another path or stop that process"
    )
