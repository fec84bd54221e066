"""HTTP limits, through a real `onstream serve` (the socket is the point): a huge request
head is refused at once without stalling anybody else, a head over the cap gets 431 while
one under it is served whatever follows it in the same write, and idle connections are
closed."""

from __future__ import annotations

import base64
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
MAX_HEAD = 64 * 1024
"""`ONSTREAM_MAX_HEADER_BYTES`, left at its default."""
LOGIN, PASSWORD = "limited", "limited-but-fine-1"


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


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A single-worker server with the default head cap, and an account (the server above
    refuses 127.0.0.1's logins once its forwarded-for test has run)."""
    workdir: Path = tmp_path_factory.mktemp("capped")
    proc = ServerProcess(workdir=workdir, database_url=f"sqlite:///{workdir / 'onstream.db'}")
    proc.start()
    proc.add_account(LOGIN, PASSWORD)
    yield proc
    proc.stop()


def exchange(port: int, request: bytes, *, responses: int = 1) -> bytes:
    """Write `request` at once and read until `responses` answers came or the server closed."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(10)
        sock.sendall(request)
        while answer.count(b"HTTP/1.1 ") < responses or not answer.endswith((b"ok", b"}")):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


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


def test_a_head_over_the_cap_gets_431_and_a_closed_connection(
    capped_server: ServerProcess,
) -> None:
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * MAX_HEAD + b"\r\n\r\n"
    answer = exchange(capped_server.port, head)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:100]
    assert answer.endswith(b"Request Header Fields Too Large"), answer


def test_a_head_under_the_cap_is_served_with_a_large_body_in_the_same_write(
    capped_server: ServerProcess,
) -> None:
    """The cap counts the head, not the body that follows it in the same packets."""
    form = b"topic=Big+form&duration=30&start_time=2030-09-10+16:00:00&timezone=UTC&pad="
    body = form + b"p" * (3 * MAX_HEAD)
    auth = base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
    head = (
        f"PUT /api/2/{LOGIN}/session/format/json HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Basic {auth}\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Filler: {'f' * (MAX_HEAD - 1000)}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    answer = exchange(capped_server.port, head + body)
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
    with capped_server.api_client(LOGIN, PASSWORD) as client:
        sessions = client.get("sessions/format/json").json()["sessions"]
    assert "Big form" in [s["topic"] for s in sessions]


def test_pipelined_requests_are_each_answered_in_order(capped_server: ServerProcess) -> None:
    requests = (
        b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    answer = exchange(capped_server.port, requests, responses=3)
    statuses = [part[:3] for part in answer.split(b"HTTP/1.1 ")[1:]]
    assert statuses == [b"200", b"404", b"200"], answer


def test_a_small_response_leaves_in_one_piece(capped_server: ServerProcess) -> None:
    """Head and body in one send (one segment), not one each: the first read has it all."""
    with socket.create_connection(("127.0.0.1", capped_server.port)) as sock:
        sock.settimeout(10)
        for _ in range(20):
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            first = sock.recv(65536)
            head, _, body = first.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), first
            assert body == b"ok", first
