"""`onstream serve --workers 2` listens on one socket per worker (`SO_REUSEPORT`), as `ss -tlnp`
shows an operator, and the kernel hands new connections to both processes."""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support.server import ServerProcess
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.live,
    pytest.mark.any_database,  # the sockets and the processes are the point
]

CONNECTIONS = 32
LISTEN, ESTABLISHED = "0A", "01"


def sockets_on(port: int, state: str) -> set[str]:
    """Inodes of the IPv4 TCP sockets in this state whose local port is `port`."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, st, inode = fields[1], fields[3], fields[9]
        if int(local.split(":")[1], 16) == port and st == state:
            found.add(inode)
    return found


def holders(inodes: set[str], pids: list[int]) -> Counter[int]:
    """How many of these sockets each process holds open."""
    held: Counter[int] = Counter()
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        for fd in fds.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue  # closed meanwhile
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held[pid] += 1
    return held


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()]


def test_each_worker_listens_and_gets_connections(
    tmp_path: Path, new_database: Callable[[Path], str]
) -> None:
    proc = ServerProcess(workdir=tmp_path, database_url=new_database(tmp_path))
    proc.start("--workers", "2")
    try:
        wait_until(  # the second worker may still start
            lambda: len(sockets_on(proc.port, LISTEN)) >= 2,
            "the workers to listen on sockets of their own",
            60,
        )
        assert len(sockets_on(proc.port, LISTEN)) == 2
        opened = []
        try:
            for _ in range(CONNECTIONS):
                conn = socket.create_connection(("127.0.0.1", proc.port), timeout=30)
                conn.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
                opened.append(conn)
            for conn in opened:
                assert conn.recv(4096).startswith(b"HTTP/1.1 200")
            assert proc.process is not None
            workers = children(proc.process.pid)
            held = holders(sockets_on(proc.port, ESTABLISHED), workers)
            assert sum(held.values()) == CONNECTIONS
            # Hashed over two sockets: fewer than 4 of 32 on one side is a one-in-a-million draw.
            assert len(held) == 2
            assert min(held.values()) >= 4, held
        finally:
            for conn in opened:
                conn.close()
    finally:
        proc.stop()
