"""A cap on what one client address may hold of a server process.

uvicorn's `limit_concurrency` (`ONSTREAM_LIMIT_CONCURRENCY`, 1000) counts every connection
of the process together: beyond it every new request is answered 503. So one client that
opened 1000 idle connections (and opened them again whenever the head deadline closed
them) kept everybody else out. `ConnectionLimit` counts the open connections of each peer
address and closes a connection beyond `ONSTREAM_MAX_CONNECTIONS_PER_ADDRESS` (100) the
moment it is made, before it costs a timer or a parser: one address can take at most that
share of the process, whatever it does, and the others are served.

Behind a reverse proxy (`ONSTREAM_TRUSTED_PROXIES`) every client arrives from the proxy's
address, so the proxy's connections are not counted (capping them would cap all clients
together, as one). The proxy holds a connection to this server only while it passes a
request on, so what a client can hold through it is requests in hand: those are counted
per forwarded client (the address `X-Forwarded-For` names, read as the rate limits read
it), from the end of a request's head until its response is complete, and one beyond the
cap is answered 503. Idle client connections are the proxy's to limit.

Counts are per process: with `serve --workers N` each worker keeps its own, as each keeps
its own `limit_concurrency`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from onstream.config import Settings
from onstream.throttle import Network, forwarded_client, is_trusted, trusted_networks


class ConnectionLimit:
    """The open connections and, through trusted proxies, the requests in hand of each
    client address in this process."""

    def __init__(self, *, per_address: int, trusted_proxies: str | None = None) -> None:
        self.per_address = per_address
        self.proxies: tuple[Network, ...] = trusted_networks(trusted_proxies)
        self.held: dict[str, int] = {}
        """Connections (or, for forwarded clients, requests) in hand, by address."""

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimit:
        return cls(
            per_address=settings.max_connections_per_address,
            trusted_proxies=settings.trusted_proxies,
        )

    def connection(self, peer: str | None) -> Tally:
        """The tally of a new connection from `peer` (`Tally.admitted` says whether to keep it)."""
        return Tally(self, peer)

    def take(self, address: str) -> bool:
        """Count one more for `address`, unless it is at its cap (then False)."""
        held = self.held.get(address, 0)
        if held >= self.per_address:
            return False
        self.held[address] = held + 1
        return True

    def give_back(self, address: str) -> None:
        held = self.held.get(address, 0) - 1
        if held > 0:
            self.held[address] = held
        else:
            self.held.pop(address, None)


class Tally:
    """What one connection holds of its `ConnectionLimit`: the connection itself, or, from a
    trusted proxy, the requests it is passing on (in the order they arrived)."""

    def __init__(self, limit: ConnectionLimit, peer: str | None) -> None:
        self.limit = limit
        self.proxy = peer is not None and is_trusted(peer, limit.proxies)
        self.peer = peer or "unknown"
        self.admitted = self.proxy or limit.take(self.peer)
        self.counted = self.admitted and not self.proxy
        self.requests: deque[str | None] = deque()
        """The forwarded client of each request in hand (None: not counted)."""

    def request(self, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        """A request's head is complete: whether it may go ahead (False: answer 503)."""
        if not self.proxy:
            self.requests.append(None)
            return True
        forwarded = b",".join(v for k, v in headers if k == b"x-forwarded-for")
        client = forwarded_client(self.peer, forwarded.decode("latin-1"), self.limit.proxies)
        taken = self.limit.take(client)
        self.requests.append(client if taken else None)
        return taken

    def answered(self) -> None:
        """The oldest request in hand was answered."""
        if self.requests:
            self._give_back(self.requests.popleft())

    def closed(self) -> None:
        """The connection is gone, with whatever it held."""
        while self.requests:
            self._give_back(self.requests.popleft())
        if self.counted:
            self.counted = False
            self.limit.give_back(self.peer)

    def _give_back(self, client: str | None) -> None:
        if client is not None:
            self.limit.give_back(client)
