"""One client address cannot occupy a server process: through a real `onstream serve`, 1,000
idle connections from 127.0.0.2 leave 127.0.0.1 served, at the default limits, while a
trusted proxy's connections are not capped as one client's."""

from __future__ import annotations

import contextlib
import resource
import selectors
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from onstream.config import Settings
from tests.support.server import ServerProcess

ATTACKER = "127.0.0.2"
PROXY = "127.0.0.3"
ANOTHER = "127.0.0.4"
"""A direct client of the proxy test (127.0.0.2's last connections may still be closing)."""
CONNECTIONS = 1000
DEFAULT_CAP = Settings().max_connections_per_address
WAIT_SECONDS = 60.0


@pytest.fixture(autouse=True)
def enough_file_descriptors() -> None:
    """Room for this test's sockets and the server's (a child inherits the soft limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * CONNECTIONS + 512
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"the open-files limit ({hard}) is below {wanted}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def serve(workdir: Path, **env: str) -> ServerProcess:
    # Long deadlines: an idle connection is closed by the cap, or not at all during the test.
    extra = {"ONSTREAM_HEADER_TIMEOUT_SECONDS": "300", "ONSTREAM_KEEP_ALIVE_SECONDS": "300"}
    proc = ServerProcess(
        workdir=workdir, database_url=f"sqlite:///{workdir / 'onstream.db'}", extra_env=extra | env
    )
    return proc.start()


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One worker at the default `ONSTREAM_LIMIT_CONCURRENCY` and per-address cap, behind
    a trusted proxy at `PROXY`."""
    proc = serve(tmp_path_factory.mktemp("connections"), ONSTREAM_TRUSTED_PROXIES=PROXY)
    yield proc
    proc.stop()


@contextlib.contextmanager
def idle_connections(port: int, count: int, *, source: str) -> Iterator[list[socket.socket]]:
    """`count` connections from `source` that send nothing."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
            sock.setblocking(False)
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed this readable connection (end of stream or reset)."""
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


def wait_closed(sockets: list[socket.socket], count: int) -> list[socket.socket]:
    """Wait until the server closed `count` of `sockets`; the ones still open."""
    closed: set[socket.socket] = set()
    deadline = time.monotonic() + WAIT_SECONDS
    with selectors.DefaultSelector() as watching:  # epoll: descriptors beyond 1024 too
        for sock in sockets:
            watching.register(sock, selectors.EVENT_READ)
        while len(closed) < count:
            assert time.monotonic() < deadline, f"the server closed {len(closed)} of {count}"
            for key, _ in watching.select(timeout=1.0):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if closed_by_server(sock):
                    closed.add(sock)
                    watching.unregister(sock)
    return [s for s in sockets if s not in closed]


def get_health(sock: socket.socket) -> bytes:
    """GET /health on an open connection; the answer's status line."""
    sock.setblocking(True)
    sock.settimeout(10)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    return sock.recv(65536).split(b"\r\n", 1)[0]


def test_the_default_cap_leaves_most_of_a_process_to_other_clients() -> None:
    settings = Settings()
    assert settings.max_connections_per_address * 10 <= settings.limit_concurrency


def test_a_thousand_idle_connections_from_one_address_leave_others_served(
    default_server: ServerProcess,
) -> None:
    with idle_connections(default_server.port, CONNECTIONS, source=ATTACKER) as sockets:
        still_open = wait_closed(sockets, CONNECTIONS - DEFAULT_CAP)
        assert len(still_open) == DEFAULT_CAP
        answer = httpx.get(f"{default_server.base_url}/health", timeout=10)
        assert answer.status_code == 200
        assert get_health(still_open[0]) == b"HTTP/1.1 200 OK"
        # Room again for 127.0.0.2 once its connections are gone, and never beyond the cap.
        for sock in still_open:
            sock.close()
    with idle_connections(default_server.port, DEFAULT_CAP + 1, source=ATTACKER) as sockets:
        wait_closed(sockets, 1)


def test_a_trusted_proxy_is_not_capped_as_one_client(default_server: ServerProcess) -> None:
    count = DEFAULT_CAP + 20
    with (
        idle_connections(default_server.port, count, source=PROXY) as proxied,
        idle_connections(default_server.port, count, source=ANOTHER) as direct,
    ):
        assert len(wait_closed(direct, count - DEFAULT_CAP)) == DEFAULT_CAP
        assert [get_health(sock) for sock in proxied] == [b"HTTP/1.1 200 OK"] * count


def test_the_cap_must_be_at_least_one(tmp_path: Path) -> None:
    from onstream.config import SettingsError, load_settings

    with pytest.raises(SettingsError, match="ONSTREAM_MAX_CONNECTIONS_PER_ADDRESS"):
        load_settings({"ONSTREAM_MAX_CONNECTIONS_PER_ADDRESS": "0"}, env_file=None)
