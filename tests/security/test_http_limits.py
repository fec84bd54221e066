"""HTTP limits, through a real `onstream serve` (the socket is the point): a huge request
head is refused at once without stalling anybody else, and idle connections are closed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess

HEAD_MIB = 70
KEEP_ALIVE = 1


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One single-worker server with a short keep-alive timeout."""
    workdir: Path = tmp_path_factory.mktemp("limits")
    proc = ServerProcess(
        workdir=workdir,
        database_url=f"sqlite:///{workdir / 'onstream.db'}",
        extra_env={
            "ONSTREAM_KEEP_ALIVE_SECONDS": str(KEEP_ALIVE),
            "ONSTREAM_RATE_LIMIT_ADDRESS": "3/minute",
        },
    )
    proc.start()
    yield proc
    proc.stop()


def send_huge_head(port: int, outcome: dict[str, object]) -> None:
    """Send a request whose one header is HEAD_MIB MiB; note what came back and when."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(10)
        try:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
            chunk = b"a" * (1 << 20)
            for _ in range(HEAD_MIB):
                sock.sendall(chunk)
            sock.sendall(b"\r\n\r\n")
            outcome["answer"] = sock.recv(100)
        except OSError as exc:  # the server closed the connection on us: refused
            outcome["answer"] = exc
    outcome["seconds"] = time.monotonic() - started


def test_a_huge_header_is_refused_quickly_while_health_answers(
    limited_server: ServerProcess,
) -> None:
    outcome: dict[str, object] = {}
    sender = threading.Thread(target=send_huge_head, args=(limited_server.port, outcome))
    latencies = []
    with httpx.Client(base_url=limited_server.base_url, timeout=5) as client:
        client.get("/health")  # connected before the flood starts
        sender.start()
        while sender.is_alive() or len(latencies) < 20:
            started = time.monotonic()
            assert client.get("/health").status_code == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.005)
    sender.join()
    answer = outcome["answer"]
    refused = isinstance(answer, OSError) or answer == b""
    refused = refused or (
        isinstance(answer, bytes) and answer[:12] in (b"HTTP/1.1 400", b"HTTP/1.1 431")
    )
    assert refused, answer
    assert float(outcome["seconds"]) < 2.0  # type: ignore[arg-type]
    assert max(latencies) < 0.1, sorted(latencies)[-5:]


def test_idle_connections_are_closed_after_the_keep_alive_timeout(
    limited_server: ServerProcess,
) -> None:
    with socket.create_connection(("127.0.0.1", limited_server.port)) as sock:
        sock.settimeout(KEEP_ALIVE + 5)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        response = b""
        while not response.endswith(b"ok"):
            response += sock.recv(1024)
        assert response.startswith(b"HTTP/1.1 200")
        answered = time.monotonic()
        assert sock.recv(1024) == b""  # closed by the server, not by our timeout
        idle = time.monotonic() - answered
    assert KEEP_ALIVE * 0.8 <= idle < KEEP_ALIVE + 2


def test_forwarded_for_from_an_untrusted_peer_does_not_change_the_address(
    limited_server: ServerProcess,
) -> None:
    url = f"{limited_server.base_url}/api/2/nobody/authverify"
    statuses = [
        httpx.get(url, auth=("nobody", "guess"), headers={"x-forwarded-for": f"192.0.2.{n}"})
        for n in range(4)
    ]
    assert [r.status_code for r in statuses] == [401, 401, 401, 429]
    assert int(statuses[-1].headers["retry-after"]) > 0
