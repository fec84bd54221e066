"""One listening socket per worker process (`SO_REUSEPORT`), so the kernel spreads connections.

uvicorn's `--workers N` binds one socket in the supervisor and hands it to every worker: all
of them accept from one queue, and whichever process is idle at the moment a connection
arrives wins it, and keep-alive connections stay where they landed, so the split can be
far from even. With `SO_REUSEPORT` each worker binds a socket of its own to the same
address and the kernel hashes each new connection to one of them.

Each worker child binds its own (`worker_socket`; uvicorn then listens on it). The supervisor
keeps one more socket bound to the address but never listening: it holds the port while
workers restart and makes a port in use an error at start, and the kernel sends no
connection to a socket that does not listen.
"""

from __future__ import annotations

import socket


def reserve(host: str, port: int) -> socket.socket:
    """The supervisor's socket: bound to the address, never listening (see the docstring).
    Port 0 picks a free port, which the workers then share (`getsockname`)."""
    return _bound(host, port)


def worker_socket(host: str, port: int) -> socket.socket:
    """A worker's own socket on the shared address (uvicorn makes it listen)."""
    return _bound(host, port)


def _bound(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock
