"""Helpers for starting test servers: a free loopback port, and whether Docker answers.

Every provider's test utilities pick a backend (``auto`` means a container when Docker
answers, else an embedded server) and start servers on loopback; these helpers are the one
copy they share. Both are synchronous and quick: call them from session fixtures or
scripts, not from inside a running event loop (wrap them in ``asyncio.to_thread`` there).
"""

from __future__ import annotations

import os
import socket
from typing import Any

__all__ = ["docker_available", "free_port"]

_DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
_PING = b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nothing listened on a moment ago.

    The operating system picks the port; it is released before this returns, so a
    server started right after can bind it. Another process may take it in between:
    a server that fails to bind should be retried with a new port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def docker_available(timeout: float = 2.0) -> bool:
    """Tell whether a Docker daemon answers ``GET /_ping`` within ``timeout`` seconds.

    Asks the daemon at ``DOCKER_HOST`` (``unix://`` or plain ``tcp://``; default
    ``unix:///var/run/docker.sock``) over a plain socket, so no Docker client library is
    needed and nothing stays open when no daemon runs. Any other scheme (``ssh://``,
    ``npipe://``) or a TLS-only daemon counts as unavailable: choose the container
    backend explicitly (``HEXKIT_TEST_<NAME>=testcontainers``) to use one.
    """
    host = os.environ.get("DOCKER_HOST") or _DEFAULT_DOCKER_HOST
    try:
        if host.startswith("unix://"):
            family = socket.AF_UNIX
            address: Any = host.removeprefix("unix://")
        elif host.startswith("tcp://"):
            name, _, port = host.removeprefix("tcp://").rstrip("/").rpartition(":")
            family = socket.AF_INET6 if name.startswith("[") else socket.AF_INET
            address = (name.strip("[]"), int(port))
        else:
            return False
        with socket.socket(family, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(address)
            connection.sendall(_PING)
            answer = connection.recv(64)
    except (OSError, ValueError):
        return False
    status_line = answer.split(b"\r\n", 1)[0]
    return status_line.startswith(b"HTTP/1.") and status_line.split(b" ")[1:2] == [b"200"]
