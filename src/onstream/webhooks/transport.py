"""The HTTP side of a delivery: POST to a webhook's URL, connecting only to checked addresses,
and tell what went wrong as a category the account may read.

httpcore's connection pool is given a network backend (`CheckedBackend`) that resolves the
host once, refuses the connection unless every address is allowed (`targets.checked`), and
connects to a checked address itself, so DNS cannot answer one address to the check and
another to the connection (DNS rebinding). The pool still knows the connection by the URL's
host name: the Host header, TLS SNI and certificate verification are all for that name. This
is httpcore's documented extension point; httpx's own transport does not take a network
backend, so httpx is used here only to parse the URL, the same parser registration uses.

No proxy is used, whatever `HTTP(S)_PROXY` say: behind a proxy the proxy resolves the name,
and the address could not be checked. Redirects are not followed: a 3xx is a failed attempt.

This module imports httpcore: it is imported when the first delivery is due.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Iterable, Mapping, Sequence

import httpcore

from onstream.webhooks import targets
from onstream.webhooks.targets import Network

log = logging.getLogger("onstream.webhooks")

ADDRESS_NOT_ALLOWED = "address not allowed"
DNS_FAILURE = "DNS failure"
TIMED_OUT = "timed out"
TLS_FAILURE = "TLS failure"
REFUSED = "connection refused"
UNREACHABLE = "could not connect"
LOST = "connection lost before an answer"
OTHER = "delivery failed"
"""What `last_error` may say, beside `HTTP status NNN`: a category, never an exception's
text, which would tell an account how the server's network answers (a port scanner)."""


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses `targets.checked` allows."""

    def __init__(self, networks: Sequence[Network], *, public: bool = True) -> None:
        self._networks = tuple(networks)
        self._public = public
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109  # httpcore's interface names it
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve `host` once, check every address, connect to the first that answers."""
        addresses = await targets.checked(host, port, self._networks, public=self._public)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # `checked` returns at least one address
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109  # httpcore's interface names it
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: a webhook is reached over TCP."""
        raise targets.Refused(path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class Poster:
    """POSTs deliveries, each within `timeout` seconds in all (lookup, connection, TLS,
    sending, the answer's head), on a pool of kept-alive connections."""

    def __init__(
        self,
        *,
        networks: Sequence[Network],
        public: bool = True,
        timeout: float,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._timeout = timeout
        if ssl_context is None:
            import httpx  # the trust store webhooks always had (certifi, or SSL_CERT_FILE)

            ssl_context = httpx.create_ssl_context()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            network_backend=CheckedBackend(networks, public=public),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
        )

    async def post(self, url: str, *, headers: Mapping[str, str], body: bytes) -> str | None:
        """None when the receiver answered 2xx, else what went wrong, as a category."""
        try:
            target = targets.target_of(url)
            async with asyncio.timeout(self._timeout):
                status = await self._exchange(target, headers, body)
        except Exception as exc:  # noqa: BLE001  # each failure is a category; the log has the rest
            category = failure_category(exc)
            log.info("webhook POST to %s failed: %s (%r)", url, category, exc)
            return category
        return None if 200 <= status < 300 else f"HTTP status {status}"

    async def _exchange(
        self, target: targets.Target, headers: Mapping[str, str], body: bytes
    ) -> int:
        """The answer's status; its body is not read (a receiver's answer is not wanted,
        and a huge one would cost memory)."""
        url = httpcore.URL(
            scheme=target.scheme, host=target.host, port=target.port, target=target.path
        )
        extensions = {"timeout": dict.fromkeys(("connect", "read", "write", "pool"), self._timeout)}
        async with self._pool.stream(
            "POST", url, headers=list(headers.items()), content=body, extensions=extensions
        ) as response:
            return response.status

    async def aclose(self) -> None:
        """Close the kept-alive connections."""
        await self._pool.aclose()


def failure_category(exc: BaseException) -> str:
    """The category of a failed delivery (see the constants above)."""
    if isinstance(exc, targets.Refused):
        return ADDRESS_NOT_ALLOWED
    if isinstance(exc, targets.Unresolved):
        return DNS_FAILURE
    if isinstance(exc, TimeoutError | httpcore.TimeoutException):
        return TIMED_OUT
    if _caused_by(exc, ssl.SSLError):
        return TLS_FAILURE
    if isinstance(exc, httpcore.ConnectError):
        return REFUSED if _caused_by(exc, ConnectionRefusedError) else UNREACHABLE
    if isinstance(exc, httpcore.NetworkError | httpcore.RemoteProtocolError):
        return LOST
    return OTHER


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether `kind` is in the chain of causes (httpcore wraps the socket's and TLS's
    errors in its own)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        if isinstance(current, kind):
            return True
        seen.append(current)
        current = current.__cause__ or current.__context__
    return False
