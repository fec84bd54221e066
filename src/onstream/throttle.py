"""Rate limits on guessing: failed attempts counted per client address and per target.

Four secrets can be guessed over HTTP: an account's API credentials, its password on the
account center's sign-in page, a session's join-page passcode and a recording's playback
password; a fifth by telephone, a session's access code at the phone bridge (`dial-in`: the
"address" is the caller's number, the target the whole bridge). For each kind this module
counts failed attempts (never successes) under two keys, the client's address and the target
(the login, the session, the recording), in moving windows (`limits`' moving-window
strategy). Before checking a secret, the caller asks whether either key is over its limit;
when one is, the attempt is refused with the seconds until it may be tried again (429 with
Retry-After), without checking, so a locked-out guesser spends no argon2 and learns nothing.

Counting failures only means a client that knows the secret is never slowed down by its own
successes, and a guesser at one address does not lock out the right owner elsewhere: the
per-address limit (`ONSTREAM_RATE_LIMIT_ADDRESS`, 20 a minute) stops one address long
before the per-target limit (`ONSTREAM_RATE_LIMIT_TARGET`, 100 an hour) is reached. Only
guessing spread over many addresses reaches the latter, and then the target refuses new
attempts from everybody for the rest of the window (credentials already verified and cached
by a process keep working): that is the price of stopping a distributed guess.

The counters live in Redis when `ONSTREAM_REDIS_URL` is set, shared by every process and
host, else in the process's memory (then each process counts on its own). The client's
address is the connection's peer, or the last address in `X-Forwarded-For` that is not one
of `ONSTREAM_TRUSTED_PROXIES` when the peer is such a proxy; a header from anyone else is
ignored, so clients cannot pick their own address.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from typing import Literal

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from onstream.config import Settings, SettingsError

Kind = Literal["api", "passcode", "playback", "sign-in", "dial-in"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Throttle:
    """Failed-attempt counters for one application (one configuration, one storage)."""

    def __init__(self, settings: Settings, *, storage: Storage | None = None) -> None:
        self._per_address = _limits("ONSTREAM_RATE_LIMIT_ADDRESS", settings.rate_limit_address)
        self._per_target = _limits("ONSTREAM_RATE_LIMIT_TARGET", settings.rate_limit_target)
        self._prefix = settings.rate_limit_prefix
        self._storage = storage or _storage_for(settings)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._proxies = trusted_networks(settings.trusted_proxies)

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address: the peer, or behind trusted proxies the address they name."""
        address = peer or "unknown"
        if not forwarded_for or not self._trusted(address):
            return address
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            address = hop
            if not self._trusted(hop):
                break
        return address

    async def retry_after(self, kind: Kind, *, address: str, target: str) -> int | None:
        """Seconds until an attempt may be made, when the address or the target is over its
        limit for this kind; None when the attempt may go ahead."""
        waits = []
        for items, key in self._keys(kind, address=address, target=target):
            for item in items:
                if not await self._limiter.test(item, *key):
                    stats = await self._limiter.get_window_stats(item, *key)
                    waits.append(max(1, int(stats.reset_time - time.time()) + 1))
        return max(waits) if waits else None

    async def failed(self, kind: Kind, *, address: str, target: str) -> None:
        """Count one failed attempt against the address and the target."""
        for items, key in self._keys(kind, address=address, target=target):
            for item in items:
                await self._limiter.hit(item, *key)

    def _keys(
        self, kind: Kind, *, address: str, target: str
    ) -> list[tuple[Sequence[RateLimitItem], tuple[str, ...]]]:
        return [
            (self._per_address, (self._prefix, kind, "address", address)),
            (self._per_target, (self._prefix, kind, "target", target)),
        ]

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._proxies)

    async def aclose(self) -> None:
        """Close the Redis client, if any (the application's shutdown)."""
        client = getattr(getattr(self._storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()

    async def reset(self) -> None:
        """Forget every counter of this storage (tests and the operator's unlock)."""
        await self._storage.reset()


def trusted_networks(text: str | None) -> tuple[Network, ...]:
    """`ONSTREAM_TRUSTED_PROXIES` as networks (a bare address is a network of one)."""
    networks = []
    for part in (text or "").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise SettingsError(
                    f"ONSTREAM_TRUSTED_PROXIES: {part.strip()!r} is not an address or network"
                ) from None
    return tuple(networks)


def _limits(variable: str, text: str) -> list[RateLimitItem]:
    try:
        return list(parse_many(text))
    except ValueError:
        raise SettingsError(
            f"{variable} must be limits such as '20/minute' or '10/minute;100/hour', not {text!r}"
        ) from None


def _storage_for(settings: Settings) -> Storage:
    """Redis (shared by every process) when configured, else this process's memory."""
    if not settings.redis_url:
        return MemoryStorage()
    url = settings.redis_url
    if not url.startswith("async+"):
        url = f"async+{url}"
    return RedisStorage(url, implementation="redispy", key_prefix=settings.rate_limit_prefix)
