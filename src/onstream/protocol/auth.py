"""HTTP Basic authentication with a cache of verified credentials.

Verifying an argon2 hash costs tens of milliseconds of CPU by design, which would cap the
server at a few dozen requests a second. So a successful verification is remembered for a
short time under a key derived with HMAC-SHA256 from (login, password) and a random
per-process secret: the cache never holds the password, and an entry cannot be forged or
looked up without it. Entries expire after `ttl` seconds and the cache holds at most
`max_entries` (least recently used go first). Whenever a password or login changes, the
database's credential epoch rises; each process reads it about once a second and empties its
cache when it moved, so an old password stops working everywhere within a second.

Misses run the hash in a worker thread behind a small limiter, so a burst of new or wrong
logins cannot starve the event loop that serves cached requests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import anyio.to_thread

from onstream.protocol.errors import Unauthorized
from onstream.users.models import Account
from onstream.users.passwords import verify_password

AccountLoader = Callable[[str], Awaitable[Account | None]]
"""Loads an account by login from the database (None when there is none)."""

EpochLoader = Callable[[], Awaitable[int]]
"""Reads the database's credential epoch."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """The login and password of one `Authorization: Basic` header."""

    login: str
    password: str


def parse_basic(header: str | None) -> Credentials | None:
    """The credentials of a Basic `Authorization` header, or None when absent or malformed."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    login, sep, password = decoded.partition(":")
    if not sep:
        return None
    return Credentials(login, password)


class CredentialCache:
    """A bounded, expiring map from a keyed digest of credentials to the verified account."""

    def __init__(self, *, ttl: float, max_entries: int) -> None:
        self._secret = secrets.token_bytes(32)
        self._ttl = ttl
        self._max = max_entries
        self._entries: OrderedDict[bytes, tuple[float, Account]] = OrderedDict()

    def key(self, credentials: Credentials) -> bytes:
        """HMAC-SHA256 of the credentials under this process's secret."""
        message = credentials.login.encode() + b"\0" + credentials.password.encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def get(self, key: bytes) -> Account | None:
        """The account verified under this key, if the entry has not expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, account = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return account

    def put(self, key: bytes, account: Account) -> None:
        """Remember a verified account, evicting the least recently used beyond the bound."""
        self._entries[key] = (time.monotonic() + self._ttl, account)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget_account(self, account_id: int) -> None:
        """Drop every entry of an account (its password or login changed)."""
        stale = [k for k, (_, acc) in self._entries.items() if acc.id == account_id]
        for key in stale:
            del self._entries[key]

    def clear(self) -> None:
        """Forget every verified credential."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class Authenticator:
    """Checks the Basic credentials of a request against the login its URL names."""

    def __init__(
        self,
        *,
        cache: CredentialCache,
        load_account: AccountLoader,
        load_epoch: EpochLoader | None = None,
        epoch_interval: float = 1.0,
        threads: int = 4,
    ):
        self.cache = cache
        self._load_account = load_account
        self._load_epoch = load_epoch
        self._epoch_interval = epoch_interval
        self._epoch: int | None = None
        self._next_epoch_check = 0.0
        self._limiter = anyio.CapacityLimiter(threads)

    async def authenticate(self, header: str | None, url_login: str) -> Account:
        """The account, or `Unauthorized` for missing, wrong or other-login credentials."""
        credentials = parse_basic(header)
        if credentials is None:
            raise Unauthorized()
        await self._follow_epoch()
        key = self.cache.key(credentials)
        account = self.cache.get(key)
        if account is None:
            account = await self._verify(credentials)
            if account is None:
                raise Unauthorized("Wrong login or password")
            self.cache.put(key, account)
        # Valid credentials of another login are refused exactly like wrong ones (no account
        # enumeration through the URL).
        if not hmac.compare_digest(account.login.encode(), url_login.encode()):
            raise Unauthorized("Wrong login or password")
        return account

    async def _follow_epoch(self) -> None:
        """Empty the cache when the credential epoch moved (checked at most once a second)."""
        if self._load_epoch is None or time.monotonic() < self._next_epoch_check:
            return
        self._next_epoch_check = time.monotonic() + self._epoch_interval
        epoch = await self._load_epoch()
        if epoch != self._epoch:
            self.cache.clear()
            self._epoch = epoch

    async def _verify(self, credentials: Credentials) -> Account | None:
        account = await self._load_account(credentials.login)
        stored = account.password_hash if account else None
        ok = await anyio.to_thread.run_sync(
            verify_password, stored, credentials.password, limiter=self._limiter
        )
        return account if ok else None
