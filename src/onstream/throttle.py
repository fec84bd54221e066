"""Rate limits on guessing: every attempt at a secret counted before it is checked.

Three kinds of secret can be guessed over HTTP, each with one counter whatever the page or
call it is tried at: an account's password (`password`: the API's Basic credentials and
Digest responses, the account center's sign-in and the settings page's current password,
all against the login), a session's passcode (`passcode`: the join page, and the playback
page of a recording that still has its session's passcode, against the session), and a
recording's own playback password (`playback`, against the recording); and by telephone a
session's access code at the phone bridge (`dial-in`: the "address" is the caller's number,
the target the whole bridge). For each kind the
attempts are counted under two keys, the client's address and the target, in moving
windows (`limits`' moving-window strategy).

An attempt takes its slot in both counters before the secret is checked (`take`), with the
counter's atomic hit (one Lua script in Redis, no await between test and add in memory), so
N attempts sent at once check at most the limit: the rest are refused with the seconds
until one may be tried again (429 with Retry-After), without checking, so a locked-out
guesser spends no argon2 and learns nothing. A right answer gives its slot back
(`give_back`): only failures stay counted, so a client that knows the secret is never slowed
down by its own successes, and a guesser at one address does not lock out the right owner
elsewhere: the per-address limit (`ONSTREAM_RATE_LIMIT_ADDRESS`, 20 a minute) stops one
address long before the per-target limit (`ONSTREAM_RATE_LIMIT_TARGET`, 100 an hour) is
reached. Only guessing spread over many addresses reaches the latter, and then the target
refuses new attempts from everybody for the rest of the window (credentials already verified
and cached by a process keep working): that is the price of stopping a distributed guess.

The counters live in Redis when `ONSTREAM_REDIS_URL` is set, shared by every process and
host, else in the process's memory (then each process counts on its own). The client's
address is the connection's peer, or the last address in `X-Forwarded-For` that is not one
of `ONSTREAM_TRUSTED_PROXIES` when the peer is such a proxy; a header from anyone else is
ignored, so clients cannot pick their own address.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from onstream.config import Settings, SettingsError

if TYPE_CHECKING:
    from limits.aio.storage.redis.redispy import RedispyBridge
    from redis.asyncio import Redis

Kind = Literal["password", "passcode", "playback", "dial-in"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Counter = tuple[RateLimitItem, tuple[str, ...]]
"""One limit and the key it counts under."""


class Limited(Exception):
    """The address or the target is at its limit: `retry_after` seconds until the next
    attempt may be counted."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry in {retry_after} seconds")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Slot:
    """The places one attempt took in the counters, to be given back if it was right."""

    counters: tuple[Counter, ...]


def login_target(login: str) -> str:
    """The target a login's password is counted under, the same at every door (logins are
    unique without regard to case)."""
    return login.strip().lower()


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
        return forwarded_client(peer, forwarded_for, self._proxies)

    async def take(self, kind: Kind, *, address: str, target: str) -> Slot:
        """Count one attempt against the address and the target before its secret is
        checked; `Limited` (and nothing counted) when either is at its limit."""
        taken: list[Counter] = []
        for item, key in self._counters(kind, address=address, target=target):
            if not await self._limiter.hit(item, *key):
                await self._release(taken)
                raise Limited(await self._wait(item, key))
            taken.append((item, key))
        return Slot(tuple(taken))

    async def refused_for(self, kind: Kind, *, address: str, target: str) -> int | None:
        """Seconds until an attempt may be counted again when the address or the target is at
        its limit, else None; counts nothing (a caller is told before being asked a code)."""
        for item, key in self._counters(kind, address=address, target=target):
            if not await self._limiter.test(item, *key):
                return await self._wait(item, key)
        return None

    async def give_back(self, slot: Slot) -> None:
        """Uncount an attempt that was right, or that was never checked (a busy server)."""
        await self._release(slot.counters)

    async def _release(self, counters: Sequence[Counter]) -> None:
        """Remove one entry from each counter's window: `limits` adds entries atomically but
        has no call to take one back, so this does it on the two storages it is given."""
        for item, key in counters:
            name = item.key_for(*key)
            if isinstance(self._storage, RedisStorage):
                bridge = cast("RedispyBridge", self._storage.bridge)  # implementation="redispy"
                client = cast("Redis", bridge.get_connection())
                # The newest entry, pushed on the left; redis-py types lpop for both its
                # clients, so the await is asserted to be the asynchronous one's.
                await cast("Awaitable[object]", client.lpop(bridge.prefixed_key(name)))
            elif isinstance(self._storage, MemoryStorage):
                entries = self._storage.events.get(name)
                if entries:
                    del entries[0]  # the newest: entries are kept newest first

    async def _wait(self, item: RateLimitItem, key: tuple[str, ...]) -> int:
        stats = await self._limiter.get_window_stats(item, *key)
        return max(1, int(stats.reset_time - time.time()) + 1)

    def _counters(self, kind: Kind, *, address: str, target: str) -> list[Counter]:
        return [
            *((item, (self._prefix, kind, "address", address)) for item in self._per_address),
            *((item, (self._prefix, kind, "target", target)) for item in self._per_target),
        ]

    async def aclose(self) -> None:
        """Close the Redis client, if any (the application's shutdown)."""
        client = getattr(getattr(self._storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()

    async def reset(self) -> None:
        """Forget every counter of this storage (tests and the operator's unlock)."""
        await self._storage.reset()


def forwarded_client(
    peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]
) -> str:
    """The client's address: the peer, or when the peer is one of `proxies`, the last
    address of `X-Forwarded-For` that is not (the hops before it could be forged)."""
    address = peer or "unknown"
    if not forwarded_for or not is_trusted(address, proxies):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        address = hop
        if not is_trusted(hop, proxies):
            break
    return address


def is_trusted(address: str, proxies: Sequence[Network]) -> bool:
    """Whether `address` is one of `proxies` (never, when it is not an address at all)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


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
