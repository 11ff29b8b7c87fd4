"""Which publish endpoints can be reached from other hosts (the loopback rule of issue 10).

Without CURVE anyone who can reach a port reads every decision, and can tell from them when the
door opens. So only endpoints that other hosts cannot reach may go without it: loopback TCP
(127.0.0.0/8, ::1, ``localhost``, the ``lo`` interface) and ``ipc://``/``inproc://`` (guarded by
file permissions and the process boundary). ``tcp://*``, a routable address or any other
interface name is exposed.
"""

from __future__ import annotations

import ipaddress

_LOOPBACK_NAMES = ("localhost", "lo")


def tcp_host(endpoint: str) -> str | None:
    """The interface part of a ``tcp://`` bind endpoint (brackets of IPv6 removed), else None."""
    if not endpoint.startswith("tcp://"):
        return None
    host = endpoint[len("tcp://"):].rpartition(":")[0]
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def is_exposed(endpoint: str) -> bool:
    """True when hosts other than this one may connect to ``endpoint``."""
    host = tcp_host(endpoint)
    if host is None:
        return False  # ipc:// and inproc:// stay on this host
    if host in _LOOPBACK_NAMES:
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # "*", a DNS name or an interface name such as eth0


def exposed_endpoints(endpoints: list[str]) -> list[str]:
    return [e for e in endpoints if is_exposed(e)]


def insecure_start_warning(endpoints: list[str], curve: bool) -> str | None:
    """What the daemon logs at every start when it publishes in plaintext to the network
    (only possible with ``publish.allow_insecure = true``), else None."""
    exposed = exposed_endpoints(endpoints)
    if not exposed or curve:
        return None
    return (f"publish.allow_insecure = true: {exposed} reachable from other hosts WITHOUT encryption or client "
            "authorisation; anyone on the network can read every decision. Set publish.curve = true "
            "(deploy/README.md)")
