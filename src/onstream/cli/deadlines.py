"""Read deadlines for uvicorn's h11 protocol: a slow client gets 408, not a connection forever.

uvicorn bounds the size of a request head (`h11_max_incomplete_event_size`) and the idle
time between requests (`timeout_keep_alive`), but not the time a request takes to arrive:
its keep-alive timer is cancelled by every byte received, so a client that sends a partial
head, or a body, one byte a second holds a connection (and a `limit_concurrency` slot) for
as long as it likes. ASGI middleware cannot help with the head (the application is called
only once the head is complete) and would not see a stalled body until it asked for it.

`DeadlineH11Protocol` is uvicorn's own `H11Protocol` with two timers added, both on the
event loop (a stalled client costs a timer, never a blocked worker):

- the head: from the first byte of a request (or from the connection's opening, for its
  first request) the whole head must arrive within `head_seconds`. Bytes trickling in do
  not restart the timer. A partial head is answered 408 and the connection closed; a
  connection that never sent a byte is closed silently, as an idle keep-alive one is.
- the body: a minimum transfer rate, checked once per window of `body_window_seconds`: a
  window in which fewer than `body_min_bytes_per_second * body_window_seconds` bytes
  arrived ends the request with 408 and closes the connection. An honest upload on a slow
  link is never cut off however long it takes, a stalled or trickled one is within two
  windows. A window is not held against the client when the server was the one not
  reading (uvicorn pauses reading while the application has 64 KiB unread) or had not yet
  answered `Expect: 100-continue`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from onstream.config import Settings

log = logging.getLogger(__name__)

TIMEOUT_BODY = b"Request Timeout"
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(TIMEOUT_BODY)).encode("ascii") + b"\r\n\r\n" + TIMEOUT_BODY
)
"""Written as bytes, not through h11: the connection is given up whatever state it is in."""


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


def protocol_factory(deadlines: Deadlines) -> Any:
    """What uvicorn's `http=` takes: called with uvicorn's keyword arguments per connection.

    A `functools.partial` of a module-level class, so it pickles into `--workers` processes.
    """
    return functools.partial(DeadlineH11Protocol, deadlines=deadlines)


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on the head and a minimum rate on the body."""

    def __init__(self, *args: Any, deadlines: Deadlines, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadlines = deadlines
        self.head_timer: asyncio.TimerHandle | None = None
        self.head_started = False
        """Whether any byte of the awaited request head has arrived (408 or a silent close)."""
        self.body_timer: asyncio.TimerHandle | None = None
        self.body_bytes = 0
        self.body_excused = False

    # --- uvicorn's hooks, each followed by a look at what the client is sending now

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]  # uvicorn's narrower type
        self.arm_head_timer()

    def data_received(self, data: bytes) -> None:
        state = self.conn.their_state
        if state is h11.IDLE:
            self.head_started = True
            if self.head_timer is None:
                self.arm_head_timer()
        elif state is h11.SEND_BODY:
            self.body_bytes += len(data)
        super().data_received(data)
        self.watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # A pipelined request may already be partly buffered: its head is then under way.
        if self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            self.head_started = True
            if self.head_timer is None:
                self.arm_head_timer()
        self.watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self.cancel_timers()
        super().connection_lost(exc)

    # --- the timers

    def watch(self) -> None:
        """Keep the timer that matches what is awaited from the client, and only that one."""
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            self.cancel_timers()  # closed, or handed to the WebSocket protocol
            return
        state = self.conn.their_state
        if state is not h11.IDLE:
            self.cancel_head_timer()
            self.head_started = False
        if state is h11.SEND_BODY:
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
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.head_started:
            log.info(
                "%s: request head not received within %ss", self.peer, self.deadlines.head_seconds
            )
            self.give_up(answer=True)
        else:
            self.give_up(answer=False)

    def body_window_ended(self) -> None:
        self.body_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
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
        self.give_up(answer=cycle is not None and not cycle.response_started)

    def give_up(self, *, answer: bool) -> None:
        """Close the connection, first answering 408 when no response has begun on it."""
        self.cancel_timers()
        if self.cycle is not None and not self.cycle.response_complete:
            # The application's next receive() is a disconnect, its sends are dropped.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        if answer:
            self.transport.write(TIMEOUT_RESPONSE)
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
    def peer(self) -> str:
        return f"{self.client[0]}:{self.client[1]}" if self.client else "client"
