"""Read deadlines, through a real `onstream serve` (the socket is the point): a request head
that does not arrive in time, or a body slower than the minimum rate, gets 408 and the
connection closed, while an honest slow upload succeeds and `/health` keeps answering."""

from __future__ import annotations

import base64
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.support.server import ServerProcess

pytestmark = [
    pytest.mark.live,
    pytest.mark.any_database,  # the socket and its deadlines are the point
]

HEAD_SECONDS = 1.0
BODY_WINDOW_SECONDS = 1.0
MIN_RATE = 2000
"""Bytes a second: each one-second window of a body must bring 2000 bytes."""
GIVE_UP = 20.0
"""How long a slow client keeps going before the test calls the server's patience endless."""
LOGIN, PASSWORD = "slowpoke", "slow-and-steady-1"


@pytest.fixture(scope="module")
def timed_server(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[Path], str]
) -> Iterator[ServerProcess]:
    """One single-worker server with one-second read deadlines, and an account."""
    workdir = tmp_path_factory.mktemp("deadlines")
    proc = ServerProcess(
        workdir=workdir,
        database_url=new_database(workdir),
        extra_env={
            "ONSTREAM_HEADER_TIMEOUT_SECONDS": str(HEAD_SECONDS),
            "ONSTREAM_BODY_TIMEOUT_SECONDS": str(BODY_WINDOW_SECONDS),
            "ONSTREAM_BODY_MIN_BYTES_PER_SECOND": str(MIN_RATE),
        },
    )
    proc.start()
    proc.add_account(LOGIN, PASSWORD)
    yield proc
    proc.stop()


@dataclass
class Outcome:
    """What a slow client got back, and after how long."""

    answer: bytes
    seconds: float
    closed: bool

    @property
    def status(self) -> int | None:
        return int(self.answer[9:12]) if self.answer.startswith(b"HTTP/1.1 ") else None


def slow_client(
    port: int, first: bytes, *, drip: bytes = b"", every: float = 1.0, total: int | None = None
) -> Outcome:
    """Send `first`, then `drip` every `every` seconds (at most `total` bytes of it in all)
    until the server answers and closes, or GIVE_UP seconds pass."""
    started = time.monotonic()
    answer = b""
    dripped = 0
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(first)
        next_drip = started + every
        while time.monotonic() - started < GIVE_UP:
            readable, _, _ = select.select([sock], [], [], max(0.0, next_drip - time.monotonic()))
            if readable:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    return Outcome(answer, time.monotonic() - started, closed=True)
                answer += chunk
            elif drip and (total is None or dripped < total):
                try:
                    sock.sendall(drip)
                except OSError:  # closed by the server; read what it said
                    continue
                dripped += len(drip)
            if time.monotonic() >= next_drip:
                next_drip += every
    return Outcome(answer, time.monotonic() - started, closed=False)


def session_put(length: int, *, connection: str = "close") -> bytes:
    """The head of a `PUT session` whose form body has `length` bytes."""
    auth = base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode()
    return (
        f"PUT /api/2/{LOGIN}/session/format/json HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Basic {auth}\r\nConnection: {connection}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def session_form(topic: str, size: int) -> bytes:
    """A form creating a session, padded to `size` bytes with a field nothing reads."""
    form = f"topic={topic}&duration=30&start_time=2030-09-10+16:00:00&timezone=UTC&pad="
    return form.encode() + b"p" * (size - len(form))


def assert_timed_out(outcome: Outcome, *, at_least: float) -> None:
    """408 then closed, after the deadline and well before the client would have given up."""
    assert outcome.status == 408, outcome
    assert outcome.closed, outcome
    assert at_least * 0.9 <= outcome.seconds < at_least + 6, outcome


def test_a_stalled_request_head_gets_408(timed_server: ServerProcess) -> None:
    outcome = slow_client(timed_server.port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: ")
    assert_timed_out(outcome, at_least=HEAD_SECONDS)


def test_a_trickled_request_head_gets_408_however_steady_the_trickle(
    timed_server: ServerProcess,
) -> None:
    # a byte every 0.1 s: each byte comes well within the deadline, the head never does
    outcome = slow_client(timed_server.port, b"GET /health HTTP/1.1\r\n", drip=b"X", every=0.1)
    assert_timed_out(outcome, at_least=HEAD_SECONDS)


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(
    timed_server: ServerProcess,
) -> None:
    outcome = slow_client(timed_server.port, b"")
    assert outcome == Outcome(b"", outcome.seconds, closed=True)
    assert HEAD_SECONDS * 0.9 <= outcome.seconds < HEAD_SECONDS + 6


def test_the_head_deadline_restarts_with_each_request_on_a_connection(
    timed_server: ServerProcess,
) -> None:
    """A keep-alive connection idle longer than the head deadline still serves its next
    request: the deadline counts from the request's first byte."""
    with socket.create_connection(("127.0.0.1", timed_server.port)) as sock:
        sock.settimeout(10)
        for _ in range(2):
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            response = b""
            while not response.endswith(b"ok"):
                response += sock.recv(1024)
            assert response.startswith(b"HTTP/1.1 200"), response
            # idle past the head deadline, below the keep-alive timeout (20 s)
            readable, _, _ = select.select([sock], [], [], HEAD_SECONDS * 2)
            assert not readable


def test_a_stalled_body_gets_408(timed_server: ServerProcess) -> None:
    first = session_put(1_000_000) + b"topic=stalled&"
    outcome = slow_client(timed_server.port, first)
    assert_timed_out(outcome, at_least=BODY_WINDOW_SECONDS)


def test_a_body_at_one_byte_a_second_gets_408(timed_server: ServerProcess) -> None:
    outcome = slow_client(timed_server.port, session_put(1_000_000), drip=b"a", every=1.0)
    assert_timed_out(outcome, at_least=BODY_WINDOW_SECONDS)


def test_an_honest_slow_upload_above_the_minimum_rate_succeeds(
    timed_server: ServerProcess,
) -> None:
    # 30 KB at 10 KB/s, five times the minimum: three seconds, three windows. The pace is
    # kept by the clock, so a late wake-up sends a bigger piece rather than slowing down.
    body = session_form("slow-but-honest", 30_000)
    rate = 10_000
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", timed_server.port)) as sock:
        sock.settimeout(10)
        sock.sendall(session_put(len(body)))
        sent = 0
        while sent < len(body):
            due = min(len(body), int((time.monotonic() - started) * rate) + 1)
            sock.sendall(body[sent:due])
            sent = due
            time.sleep(0.05)  # pacing the upload, not waiting for the server
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert time.monotonic() - started > 3 * BODY_WINDOW_SECONDS
    assert answer.startswith(b"HTTP/1.1 201"), answer
    with timed_server.api_client(LOGIN, PASSWORD) as client:
        sessions = client.get("sessions/format/json").json()["sessions"]
    assert "slow-but-honest" in [s["topic"] for s in sessions]


def test_health_stays_fast_while_slow_clients_stall(timed_server: ServerProcess) -> None:
    port = timed_server.port
    stallers: list[Callable[[], Outcome]] = [
        lambda: slow_client(port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: "),
        lambda: slow_client(port, b"GET /health HTTP/1.1\r\n", drip=b"X", every=0.1),
        lambda: slow_client(port, session_put(1_000_000) + b"topic=stalled&"),
        lambda: slow_client(port, session_put(1_000_000), drip=b"a", every=0.5),
    ] * 5
    outcomes: list[Outcome] = []
    threads = [threading.Thread(target=lambda s=s: outcomes.append(s())) for s in stallers]
    latencies = []
    with httpx.Client(base_url=timed_server.base_url, timeout=5) as client:
        client.get("/health")  # connected before the stalling starts
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads) or len(latencies) < 20:
            started = time.monotonic()
            assert client.get("/health").status_code == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.01)
    for thread in threads:
        thread.join()
    assert [o.status for o in outcomes] == [408] * len(stallers), outcomes
    # well under the one-second deadlines: nothing waited for the stalling clients
    assert max(latencies) < 0.5, sorted(latencies)[-5:]
    # a body given up on is the client's failure, not the server's: no error, no traceback
    log = timed_server.log()
    assert "ERROR" not in log
    assert "Traceback" not in log


def test_a_page_form_that_stalls_gets_408_and_logs_no_error(timed_server: ServerProcess) -> None:
    with timed_server.api_client(LOGIN, PASSWORD) as client:
        created = client.put(
            "session/format/json",
            data={
                "topic": "Lobby",
                "start_time": "2030-09-10 16:00:00",
                "duration": "30",
                "timezone": "UTC",
                "friendly_url": "stalled-lobby",
            },
        )
        assert created.status_code == 201, created.text
    head = (
        f"POST /{LOGIN}/stalled-lobby HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nname="
    )
    outcome = slow_client(timed_server.port, head.encode())
    assert_timed_out(outcome, at_least=BODY_WINDOW_SECONDS)
    log = timed_server.log()
    assert "ERROR" not in log
    assert "Traceback" not in log
