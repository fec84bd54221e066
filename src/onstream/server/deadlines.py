"""Read limits for uvicorn's httptools protocol: a slow or oversized request head gets an
answer and a closed connection, never a worker's time.

uvicorn bounds the idle time between requests (`timeout_keep_alive`), but not the time a
request takes to arrive: its keep-alive timer is cancelled by every byte received, so a
client that sends a partial head, or a body, one byte a second holds a connection (and a
`limit_concurrency` slot) for as long as it likes. Its httptools protocol also has no cap on
the size of a head: llhttp hands a header over only once it is complete, and a 70 MiB header
was read for 9 s while every other request of the process waited. ASGI middleware cannot
help with either (the application is called only once the head is complete).

`LimitedHttpToolsProtocol` is uvicorn's own `HttpToolsProtocol` (the C parser, llhttp) with
three checks added, all on the event loop (a stalled client costs a timer, never a blocked
worker):

- the head's size: the bytes received while a head is awaited are counted before they reach
  the parser; a head not complete within `max_head_bytes` is answered 431 and the
  connection closed. The count starts again at each head (a pipelined head that begins in
  the middle of a read may bring up to one read more).
- the head's time: from the first byte of a request (or from the connection's opening, for
  its first request) the whole head must arrive within `head_seconds`. Bytes trickling in
  do not restart the timer. A partial head is answered 408 and the connection closed; a
  connection that never sent a byte is closed silently, as an idle keep-alive one is.
- the body: a minimum transfer rate, checked once per window of `body_window_seconds`: a
  window in which fewer than `body_min_bytes_per_second * body_window_seconds` bytes
  arrived ends the request with 408 and closes the connection. An honest upload on a slow
  link is never cut off however long it takes, a stalled or trickled one is within two
  windows. A window is not held against the client when the server was the one not
  reading (uvicorn pauses reading while the application has 64 KiB unread) or had not yet
  answered `Expect: 100-continue`.

Its writes go through `CoalescingTransport`, so a response leaves in one send, and it
keeps each client address within its share of connections (`onstream.server.connections`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from onstream.config import Settings
from onstream.server.coalesce import CoalescingTransport
from onstream.server.connections import ConnectionLimit

log = logging.getLogger(__name__)


def _closing_answer(status: bytes, text: bytes) -> bytes:
    """A whole response, written as bytes: the connection is given up whatever its state."""
    return (
        b"HTTP/1.1 " + status + b"\r\n"
        b"content-type: text/plain; charset=utf-8\r\n"
        b"connection: close\r\n"
        b"content-length: " + str(len(text)).encode("ascii") + b"\r\n\r\n" + text
    )


TIMEOUT_RESPONSE = _closing_answer(b"408 Request Timeout", b"Request Timeout")
HEAD_TOO_LARGE_RESPONSE = _closing_answer(
    b"431 Request Header Fields Too Large", b"Request Header Fields Too Large"
)


@dataclass(frozen=True, slots=True)
class Deadlines:
    """How long a request may take to arrive (see the module's docstring)."""

    head_seconds: float
    body_window_seconds: float
    body_min_bytes_per_second: int

    @property
    def body_window_bytes(self) -> int:
        """Bytes of body each window must bring."""
        return int(self.body_min_bytes_per_second * self.body_window_seconds)

    @classmethod
    def from_settings(cls, settings: Settings) -> Deadlines:
        return cls(
            head_seconds=settings.header_timeout_seconds,
            body_window_seconds=settings.body_timeout_seconds,
            body_min_bytes_per_second=settings.body_min_bytes_per_second,
        )


def protocol_factory(
    deadlines: Deadlines, max_head_bytes: int, connections: ConnectionLimit | None = None
) -> Any:
    """What uvicorn's `http=` takes: called with uvicorn's keyword arguments per connection.

    A `functools.partial` of a module-level class, so it pickles into `--workers` processes.
    """
    return functools.partial(
        LimitedHttpToolsProtocol,
        deadlines=deadlines,
        max_head_bytes=max_head_bytes,
        connections=connections or ConnectionLimit(per_address=1 << 31),
    )


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a cap and a deadline on the head, a minimum rate
    on the body, and one send per response."""

    def __init__(
        self,
        *args: Any,
        deadlines: Deadlines,
        max_head_bytes: int,
        connections: ConnectionLimit,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.connection_limit = connections
        self.deadlines = deadlines
        self.max_head_bytes = max_head_bytes
        self.awaiting_head = True
        """No head has completed since the last message ended (or the connection opened)."""
        self.heads = 0
        """Heads completed on this connection: whether a fed piece finished the one awaited."""
        self.head_bytes = 0
        self.head_started = False
        """Whether any byte of the awaited request head has arrived (408 or a silent close)."""
        self.head_timer: asyncio.TimerHandle | None = None
        self.in_body = False
        self.body_timer: asyncio.TimerHandle | None = None
        self.body_bytes = 0
        self.body_excused = False

    # --- uvicorn's hooks and the parser's callbacks

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.tally = self.connection_limit.connection(self.client[0] if self.client else None)
        if not self.tally.admitted:
            transport.close()  # over its address's share: closed before it costs anything
            return
        self.transport = CoalescingTransport(transport, self.loop)
        self.arm_head_timer()

    def data_received(self, data: bytes) -> None:
        if not self.awaiting_head:
            super().data_received(data)
        else:
            self.head_started = True
            if self.head_timer is None:
                self.arm_head_timer()
            room = self.max_head_bytes - self.head_bytes
            if len(data) <= room:
                self.head_bytes += len(data)
                super().data_received(data)
            else:
                heads = self.heads
                super().data_received(data[:room])
                if self.transport.is_closing():
                    return
                if self.heads == heads:
                    self.refuse_head()
                    return
                protocol = self.transport.get_protocol()
                if protocol is not self:  # upgraded to WebSocket: the rest is its own
                    protocol.data_received(data[room:])  # type: ignore[attr-defined]
                    return
                self.data_received(data[room:])
                return
        self.watch()

    def on_headers_complete(self) -> None:
        self.awaiting_head = False
        self.heads += 1
        self.head_bytes = 0
        self.head_started = False
        self.cancel_head_timer()
        self.in_body = True
        app = self.app
        if not self.tally.request(self.scope["headers"]):
            self.app = service_unavailable  # a forwarded client over its share: 503
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def on_body(self, body: bytes) -> None:
        self.body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self.in_body = False
        self.awaiting_head = True
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self.tally.answered()
        super().on_response_complete()
        # A pipelined request may already be partly received: its head is then under way.
        if self.awaiting_head and self.head_started and self.head_timer is None:
            self.arm_head_timer()
        self.watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self.cancel_timers()
        self.tally.closed()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        """Hand the connection to uvicorn's WebSocket protocol, which keeps its tally: the
        connection (or, through a proxy, its request) counts until the WebSocket closes."""
        self.cancel_timers()
        super().handle_websocket_upgrade()
        protocol = self.transport.get_protocol()
        if protocol is self:
            return
        tally, lost = self.tally, protocol.connection_lost

        def connection_lost(exc: Exception | None) -> None:
            tally.closed()
            lost(exc)

        protocol.connection_lost = connection_lost  # type: ignore[method-assign]

    # --- the timers

    def watch(self) -> None:
        """Keep the body's timer while a body is awaited, and only then (the head's is
        armed by a head's first byte and cancelled when the head is complete)."""
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            self.cancel_timers()  # closed, or handed to the WebSocket protocol
            return
        if self.in_body:
            if self.flow.read_paused:
                self.body_excused = True
            if self.body_timer is None:
                self.body_bytes = 0
                self.body_excused = False
                self.body_timer = self.loop.call_later(
                    self.deadlines.body_window_seconds, self.body_window_ended
                )
        else:
            self.cancel_body_timer()

    def arm_head_timer(self) -> None:
        self.head_timer = self.loop.call_later(self.deadlines.head_seconds, self.head_expired)

    def head_expired(self) -> None:
        self.head_timer = None
        if self.transport.is_closing() or not self.awaiting_head:
            return
        if self.responding:
            # A pipelined head behind a request still being answered: judged after it.
            self.arm_head_timer()
        elif self.head_started:
            log.info(
                "%s: request head not received within %ss", self.peer, self.deadlines.head_seconds
            )
            self.give_up(TIMEOUT_RESPONSE)
        else:
            self.give_up(None)

    def body_window_ended(self) -> None:
        self.body_timer = None
        if self.transport.is_closing() or not self.in_body:
            return
        cycle = self.cycle
        excused = self.body_excused or self.flow.read_paused
        excused = excused or (cycle is not None and cycle.waiting_for_100_continue)
        if excused or self.body_bytes >= self.deadlines.body_window_bytes:
            self.watch()  # the next window
            return
        log.info(
            "%s: request body slower than %s bytes/s",
            self.peer,
            self.deadlines.body_min_bytes_per_second,
        )
        answered = cycle is not None and cycle.response_started
        self.give_up(None if answered else TIMEOUT_RESPONSE)

    def refuse_head(self) -> None:
        log.info("%s: request head larger than %s bytes", self.peer, self.max_head_bytes)
        self.give_up(None if self.responding else HEAD_TOO_LARGE_RESPONSE)

    def give_up(self, answer: bytes | None) -> None:
        """Close the connection, first writing `answer` (when no response has begun on it)."""
        self.cancel_timers()
        if self.responding:
            # The application's next receive() is a disconnect, its sends are dropped.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        if answer is not None:
            self.transport.write(answer)
        self.transport.close()

    def cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def cancel_body_timer(self) -> None:
        if self.body_timer is not None:
            self.body_timer.cancel()
            self.body_timer = None

    def cancel_timers(self) -> None:
        self.cancel_head_timer()
        self.cancel_body_timer()

    @property
    def responding(self) -> bool:
        """Whether a request of this connection is still being answered."""
        return self.cycle is not None and not self.cycle.response_complete

    @property
    def peer(self) -> str:
        return f"{self.client[0]}:{self.client[1]}" if self.client else "client"
