"""Run ``edge-daemon`` on one camera section and collect the decisions it publishes (the sr300
and dcam710 end-to-end tests)."""

from __future__ import annotations

import time
from pathlib import Path

from edge.message_check import Accepted
from edge.messages import MessageKind
from edge.subscriber import Subscriber
from tests._daemon_fixtures import start_daemon, stop_daemon, tiny_model_with_sidecar, write_config
from tests._zmq_fixtures import free_tcp_endpoint


def camera_section(camera_id: str, plugin: str, **options) -> str:
    rendered = ", ".join(f'{k} = {_toml(v)}' for k, v in options.items())
    return f'[[cameras]]\nid = "{camera_id}"\nplugin = "{plugin}"\noptions = {{ {rendered} }}\n'


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def run_daemon_until_faces(directory: Path, cameras: str, faces_wanted: int = 5, timeout_s: float = 90.0,
                           env: dict[str, str] | None = None) -> tuple[list, int, str, str]:
    """Start the daemon, collect decisions with faces until ``faces_wanted``, stop it with
    SIGTERM. Returns (decisions with faces, exit code, stdout, stderr)."""
    (directory / "model").mkdir(exist_ok=True)
    model = tiny_model_with_sidecar(directory / "model", thresholds={"default": 0.5, "sr300": 0.45,
                                                                        "dcam710": 0.55})
    pub, snap = free_tcp_endpoint(), free_tcp_endpoint()
    config = write_config(directory / "edge.toml", model, pub, snap, cameras,
                          extra="[decision]\nexpiry_ms = 5000\n")
    daemon = start_daemon(config, env=env)
    decisions = []
    try:
        with Subscriber([pub], kinds=[MessageKind.DECISION], expiry_grace_ms=10_000) as subscriber:
            deadline = time.monotonic() + timeout_s
            while len(decisions) < faces_wanted and time.monotonic() < deadline and daemon.poll() is None:
                message = subscriber.receive(timeout_ms=200)
                if isinstance(message, Accepted) and message.body.faces:
                    decisions.append(message.body)
    finally:
        code, stdout, stderr = stop_daemon(daemon, timeout_s=15)
    return decisions, code, stdout, stderr
