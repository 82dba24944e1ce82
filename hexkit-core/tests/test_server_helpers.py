"""hexkit.testing.free_port and docker_available: the helpers every provider's testutils use."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hexkit.testing import docker_available, free_port


def test_a_free_port_can_be_bound_right_away() -> None:
    port = free_port()
    assert 0 < port < 65536
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen(1)


@contextmanager
def _daemon(family: int, address: object, answer: bytes) -> Iterator[str]:
    """Run a one-shot fake daemon that reads a request and sends ``answer``; yield its host."""
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.bind(address)
        listener.listen(1)
        requests: list[bytes] = []

        def answer_once() -> None:
            connection, _ = listener.accept()
            with connection:
                requests.append(connection.recv(1024))
                connection.sendall(answer)

        thread = threading.Thread(target=answer_once, daemon=True)
        thread.start()
        if family == socket.AF_UNIX:
            yield f"unix://{address}"
        else:
            yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        thread.join(timeout=5)
        assert requests, "docker_available never connected to the fake daemon"
        assert requests[0].startswith(b"GET /_ping HTTP/1.0\r\n")


@pytest.mark.parametrize("family", ["tcp", "unix"])
def test_docker_is_available_when_a_daemon_answers_the_ping(
    family: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"
    if family == "tcp":
        daemon = _daemon(socket.AF_INET, ("127.0.0.1", 0), ok)
    else:
        daemon = _daemon(socket.AF_UNIX, str(tmp_path / "docker.sock"), ok)
    with daemon as host:
        monkeypatch.setenv("DOCKER_HOST", host)
        assert docker_available(timeout=5) is True


@pytest.mark.parametrize(
    "answer", [b"HTTP/1.1 500 Internal Server Error\r\n\r\n", b"SSH-2.0-OpenSSH\r\n", b""]
)
def test_docker_is_unavailable_when_something_else_answers(
    answer: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _daemon(socket.AF_INET, ("127.0.0.1", 0), answer) as host:
        monkeypatch.setenv("DOCKER_HOST", host)
        assert docker_available(timeout=5) is False


@pytest.mark.parametrize(
    "host",
    [
        "tcp://127.0.0.1:{closed}",
        "unix:///nonexistent/docker.sock",
        "ssh://user@docker.example",
        "tcp://127.0.0.1:not-a-port",
    ],
)
def test_docker_is_unavailable_when_its_host_does_not_answer(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", host.format(closed=free_port()))
    assert docker_available(timeout=0.5) is False


def test_docker_host_defaults_to_the_local_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    connected: list[object] = []

    class Recording(socket.socket):
        def connect(self, address: object) -> None:
            connected.append(address)
            raise ConnectionRefusedError(address)

    monkeypatch.setattr(socket, "socket", Recording)
    assert docker_available(timeout=0.5) is False
    assert connected == ["/var/run/docker.sock"]
