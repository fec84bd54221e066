"""A real HTTP receiver of webhooks on a free port, whose behaviour a test scripts.

It records every request it answered 2xx (headers and body) and counts every request it got.
`failures` answers 500 that many times first; `hang_ups` closes the connection that many times
without answering, as a receiver killed mid-delivery does; `delay` answers late; `redirect`
answers every request 302 to that URL. With `tls` (a server-side SSL context) it speaks HTTPS
and records the name each client asked for (SNI) in `server_names`. It can be created without
listening (`start()` later), as a receiver that is down at first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.server import free_port


@dataclass
class Received:
    """One accepted delivery."""

    signature: str
    body: bytes
    host: str = ""
    """The request's Host header."""

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    """A webhook receiver at `url`; not listening until `start()`."""

    failures: int = 0
    hang_ups: int = 0
    delay: float = 0.0
    redirect: str | None = None
    tls: ssl.SSLContext | None = None
    host: str = "127.0.0.1"
    """The host name of `url` (the receiver listens on 127.0.0.1 whatever it is)."""
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    requests: int = 0
    server_names: list[str | None] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.requests += 1
                    if receiver.hang_ups > 0:
                        receiver.hang_ups -= 1
                        self.close_connection = True
                        self.connection.close()
                        return
                    failing = receiver.failures > 0
                    receiver.failures -= int(failing)
                if receiver.delay:
                    time.sleep(receiver.delay)  # the receiver is slow, not the test
                if receiver.redirect is not None:
                    self.send_response(302)
                    self.send_header("Location", receiver.redirect)
                    self.end_headers()
                    return
                if not failing:  # kept before the answer: the sender may act on it at once
                    with receiver._lock:
                        signature = self.headers.get("Onstream-Signature", "")
                        host = self.headers.get("Host", "")
                        receiver.received.append(Received(signature, body, host))
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.tls is not None:

            def told(_sock: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
                self.server_names.append(name)

            self.tls.sni_callback = told
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.event for r in self.received]


def verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does: recompute the HMAC of `t.body` and compare in constant time."""
    parts = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])
