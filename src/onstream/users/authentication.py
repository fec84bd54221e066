"""Who is calling: HTTP Basic credentials checked against accounts, with a cache.

The protocol layer parses the header (`protocol.basic`) and asks an `Authenticate` callable
for the account; this module is that callable, so account policy stays with accounts.

Verifying an argon2 hash costs tens of milliseconds of CPU by design, which would cap the
server at a few dozen requests a second. So a successful verification is remembered for a
short time under a key derived with keyed BLAKE2b from its header (login and password) and a random
per-process secret: the cache never holds the password, and an entry cannot be forged or
looked up without it. Entries expire after `ttl` seconds and the cache holds at most
`max_entries` (least recently used go first). Whenever a password or login changes, the
database's credential epoch rises; each process reads it about once a second and empties its
cache when it moved, so an old password stops working everywhere within a second.

A miss costs one argon2 verification (about 25 ms of CPU with the parameters in
users.passwords), and a burst of new or wrong logins must not slow the requests that hit the
cache. So every check runs in the process's one bounded, lowest-priority pool of password
checks (`users.password_checks`, shared with the account center's pages), which refuses a
check beyond its capacity at once with 503 and Retry-After. Concurrent misses for the same
credentials share one check (a client opening 32 connections at once costs one hash, not
32); a wrong password is remembered as wrong like a right one is remembered as right, so a
client retrying the same wrong password costs no argon2.

With a throttle, every attempt the cache does not answer takes its slot in the `password`
counters of the client's address and the login before it is checked (`onstream.throttle`),
and gives it back when it was right (or never checked, the pool being full): parallel
guesses check at most the limit, and share it with the account center's sign-in and
settings page.

An API token (`users.tokens`) is accepted as the Basic password in place of the account's
password. A password with the shape of a token is looked up by its SHA-256 first, which
costs one indexed query and no argon2; only when no token matches is it checked as a
password. A token's account carries `read_only` from the token, and its cache entry never
outlives the token's expiry; revoking a token raises the credential epoch like a password
change, so it stops working on every process within a second.

With a `DigestStore`, every 401 also offers HTTP Digest (RFC 7616, `protocol.digest`) for API
tokens, SHA-256 before MD5. A Digest response is checked against the H(login:realm:token)
values stored when each token was created (never against a password: passwords have no
such value, so they never work with Digest). The nonce must carry the server's signature;
the URI must be this request's; each (nonce, nc) pair is accepted once, on any process
(replay refused); a right response to an expired nonce is answered with `stale=true`. A
wrong response counts as a failed login for the rate limits, exactly like a wrong Basic
password (its slot is taken before the response is compared). Digest results are not cached:
each request's response is new.

A disabled account is absent here, as everywhere a visitor could look (`users.enabled`): it
is known to be disabled before its password is looked at, its credentials (password, token,
Digest) are then checked against nothing (a password against the unknown login's dummy
hash, so the time is that of any wrong password and its own hash is never used), and the
answer is the one 401 of a wrong password, counted as a failure like one. A right password
and a wrong one are then indistinguishable. Disabling raises the credential epoch, so what a
process had cached for the account is dropped within a second.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from starlette.requests import HTTPConnection
from starlette.types import Scope

from onstream.accounts import Account
from onstream.logs import LOGIN
from onstream.metrics import AUTH_FAILURES
from onstream.protocol import digest
from onstream.protocol.basic import Credentials, parse_basic
from onstream.protocol.errors import Busy, TooManyRequests, Unauthorized
from onstream.throttle import Limited, Slot, Throttle, login_target
from onstream.users.digest_store import DigestStore
from onstream.users.password_checks import PasswordChecks
from onstream.users.tokens import looks_like_token, token_digest

AccountLoader = Callable[[str], Awaitable[Account | None]]
"""Loads an account by login from the database (None when there is none)."""

EpochLoader = Callable[[], Awaitable[int]]
"""Reads the database's credential epoch."""

TokenLoader = Callable[[str, str], Awaitable[tuple[Account, float | None] | None]]
"""(login, token digest) → the account the live token grants and the seconds it has left
(None: no expiry), recording its use; None when no live token of this login has the digest."""


Address = str | Callable[[], str | None] | None
"""The client's address, or how to find it when it is needed (a cache miss)."""


def _authorization(scope: Scope) -> str | None:
    """The request's `Authorization` header, read from the ASGI scope's raw list (Starlette's
    `Headers` costs more than the lookup, on every request)."""
    name: bytes
    value: bytes
    for name, value in scope["headers"]:
        if name == b"authorization":
            return value.decode("latin-1")
    return None


class CredentialCache:
    """A bounded, expiring map from a keyed digest of credentials to the verified account."""

    def __init__(self, *, ttl: float, max_entries: int, failure_ttl: float = 10.0) -> None:
        self._secret = secrets.token_bytes(32)
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._max = max_entries
        self._entries: OrderedDict[bytes, tuple[float, Account]] = OrderedDict()
        self._failures: OrderedDict[bytes, float] = OrderedDict()

    def key(self, header: str) -> bytes:
        """A MAC of a Basic `Authorization` header (its login and password) under this
        process's secret: keyed BLAKE2b, made for keyed hashing and a quarter of the cost of
        HMAC-SHA256. It runs on every request, before and instead of decoding the header: a
        header verified once is known again by its digest alone."""
        return hashlib.blake2b(header.encode(), key=self._secret, digest_size=32).digest()

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

    def put(self, key: bytes, account: Account, *, valid_for: float | None = None) -> None:
        """Remember a verified account for the cache's ttl, or less when the credentials
        expire sooner (`valid_for` seconds), evicting the least recently used beyond the
        bound."""
        ttl = self._ttl if valid_for is None else min(self._ttl, valid_for)
        self._entries[key] = (time.monotonic() + ttl, account)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def put_failure(self, key: bytes) -> None:
        """Remember for a short time that these credentials are wrong."""
        self._failures[key] = time.monotonic() + self._failure_ttl
        self._failures.move_to_end(key)
        while len(self._failures) > self._max:
            self._failures.popitem(last=False)

    def failed(self, key: bytes) -> bool:
        """Whether these credentials were found wrong within the last `failure_ttl` seconds."""
        expires = self._failures.get(key)
        if expires is None:
            return False
        if expires < time.monotonic():
            del self._failures[key]
            return False
        return True

    def forget_account(self, account_id: int) -> None:
        """Drop every entry of an account (its password or login changed)."""
        stale = [k for k, (_, acc) in self._entries.items() if acc.id == account_id]
        for key in stale:
            del self._entries[key]

    def clear(self) -> None:
        """Forget every verified and every failed credential."""
        self._entries.clear()
        self._failures.clear()

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
        load_token: TokenLoader | None = None,
        throttle: Throttle | None = None,
        digest_store: DigestStore | None = None,
        password_checks: PasswordChecks | None = None,
        epoch_interval: float = 1.0,
    ):
        self.cache = cache
        self._digest = digest_store
        self._load_account = load_account
        self._load_epoch = load_epoch
        self._load_token = load_token
        self._throttle = throttle
        self._epoch_interval = epoch_interval
        self._epoch: int | None = None
        self._next_epoch_check = 0.0
        self._pending: dict[bytes, asyncio.Task[Account | None]] = {}
        self.password_checks = password_checks or PasswordChecks()

    async def authenticate_request(self, request: HTTPConnection, url_login: str) -> Account:
        """`authenticate` (Basic) or Digest with the request's `Authorization` header and
        client address (the application's `Authenticate` callable); a refusal offers the
        Digest challenges beside Basic when Digest is configured."""
        header = _authorization(request.scope)
        try:
            if self._digest is not None and _scheme(header) == "digest":
                address = self._client_address(request)
                account = await self._authenticate_digest(request, header or "", url_login, address)
            else:
                # The address matters only to credentials the cache does not know.
                address_of = functools.partial(self._client_address, request)
                account = await self.authenticate(header, url_login, address=address_of)
        except Unauthorized as exc:
            AUTH_FAILURES.labels(_scheme(header) or "none").inc()
            if self._digest is None:
                raise
            stale = isinstance(exc, StaleNonce)
            offers = digest.challenges(await self._digest.key(), time.time(), stale=stale)
            raise Unauthorized(exc.message, digest=offers) from None
        LOGIN.set(account.login)  # the request's log lines name who made it
        return account

    def _client_address(self, request: HTTPConnection) -> str | None:
        """The client's address as the limits on failures count it (None without them)."""
        if self._throttle is None:
            return None
        peer = request.client.host if request.client else None
        return self._throttle.client_address(peer, request.headers.get("x-forwarded-for"))

    async def _authenticate_digest(
        self, request: HTTPConnection, header: str, url_login: str, address: str | None
    ) -> Account:
        assert self._digest is not None
        credentials = digest.parse_digest(header)
        if credentials is None:
            raise Unauthorized("Malformed or unsupported Digest credentials")
        slot = await self._take(credentials.username, address)
        key = await self._digest.key()
        expiry = digest.nonce_expiry(key, credentials.nonce)
        target = request.scope.get("raw_path") or request.url.path.encode()
        if request.scope.get("query_string"):
            target += b"?" + request.scope["query_string"]
        found = None
        if (
            expiry is not None
            and credentials.realm == digest.REALM
            and credentials.uri == target.decode("latin-1")
        ):
            found = await self._match_digest(credentials, request.scope["method"])
        if found is None or expiry is None:
            raise Unauthorized("Wrong login or token")  # the slot stays taken: a failure
        account, token_hash = found
        if expiry < time.time():
            await self._give_back(slot)  # the right token, on an old nonce
            raise StaleNonce("The Digest nonce expired; retry with the new one")
        if not hmac.compare_digest(account.login.encode(), url_login.encode()):
            await self._give_back(slot)
            raise Unauthorized("Wrong login or token")
        used = await self._digest.use(
            nonce=credentials.nonce, nc=credentials.nc, expiry=expiry, token_hash=token_hash
        )
        if not used:  # a replay counts as a failure: its slot stays taken
            raise Unauthorized("This Digest nonce count was used already")
        await self._give_back(slot)
        return account

    async def _match_digest(
        self, credentials: digest.DigestCredentials, method: str
    ) -> tuple[Account, str] | None:
        """The account as the token whose stored hash yields this response grants it, and
        that token's digest; None when no token of the login does."""
        assert self._digest is not None
        account = await self._load_account(credentials.username)
        if account is None or account.disabled:
            return None
        found = None
        for ha1, granted, token in await self._digest.candidates(account, credentials.algorithm):
            expected = digest.expected_response(ha1, credentials, method)
            if hmac.compare_digest(expected.encode(), credentials.response.encode()):
                found = (granted, token.token_hash)
        return found

    async def authenticate(
        self, header: str | None, url_login: str, *, address: Address = None
    ) -> Account:
        """The account, or `Unauthorized` for missing, wrong or other-login credentials.

        With a throttle, credentials not verified before are checked only once they took a
        slot under the client's `address` and the login (429 when either is at its limit);
        a right password gives its slot back, a wrong one leaves it taken."""
        if not header:
            raise Unauthorized()
        await self._follow_epoch()
        key = self.cache.key(header)
        account = self.cache.get(key)
        if account is None:
            credentials = parse_basic(header)
            if credentials is None:
                raise Unauthorized()
            client = address() if callable(address) else address
            slot = await self._take(credentials.login, client)
            try:
                if not self.cache.failed(key):
                    account = await self._check(key, credentials)
            except Busy:
                await self._give_back(slot)  # never checked
                raise
            if account is None:
                raise Unauthorized("Wrong login or password")
            await self._give_back(slot)
        # Valid credentials of another login are refused exactly like wrong ones (no account
        # enumeration through the URL).
        if not hmac.compare_digest(account.login.encode(), url_login.encode()):
            raise Unauthorized("Wrong login or password")
        return account

    async def _take(self, login: str, address: str | None) -> Slot | None:
        """This attempt's slot in the login's password counters (None without a throttle)."""
        if self._throttle is None:
            return None
        try:
            return await self._throttle.take(
                "password", address=address or "", target=login_target(login)
            )
        except Limited as limited:
            wait = limited.retry_after
            raise TooManyRequests(
                f"Too many failed logins; retry in {wait} seconds", retry_after=wait
            ) from None

    async def _give_back(self, slot: Slot | None) -> None:
        if self._throttle is not None and slot is not None:
            await self._throttle.give_back(slot)

    async def _follow_epoch(self) -> None:
        """Empty the cache when the credential epoch moved (checked at most once a second)."""
        if self._load_epoch is None or time.monotonic() < self._next_epoch_check:
            return
        self._next_epoch_check = time.monotonic() + self._epoch_interval
        epoch = await self._load_epoch()
        if epoch != self._epoch:
            self.cache.clear()
            self._epoch = epoch

    async def _check(self, key: bytes, credentials: Credentials) -> Account | None:
        """Verify, sharing a check already running for the same credentials."""
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(self._verify(key, credentials))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        # shield: a client that hangs up does not cancel the check others are waiting on.
        return await asyncio.shield(task)

    def _finished(self, key: bytes, task: asyncio.Task[Account | None]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here so that no waiter left means no warning

    async def _verify(self, key: bytes, credentials: Credentials) -> Account | None:
        if self._load_token is not None and looks_like_token(credentials.password):
            found = await self._load_token(credentials.login, token_digest(credentials.password))
            if found is not None and not found[0].disabled:
                token_account, expires_in = found
                self.cache.put(key, token_account, valid_for=expires_in)
                return token_account
        account = await self._load_account(credentials.login)
        if account is not None and account.disabled:
            # Absent, before its password is looked at: the check below runs against no
            # hash (the unknown login's dummy), so a right and a wrong password of a
            # disabled account cost the same and answer the same 401.
            account = None
        stored = account.password_hash if account else None
        ok = await self.password_checks.verify(stored, credentials.password)
        if ok and account is not None:
            self.cache.put(key, account)
            return account
        self.cache.put_failure(key)
        return None

    def close(self) -> None:
        """Stop the password checks' thread (the application's shutdown)."""
        self.password_checks.close()


class StaleNonce(Unauthorized):
    """A right Digest response to an expired nonce: the new challenge says `stale=true`."""


def _scheme(header: str | None) -> str:
    return (header or "").strip().partition(" ")[0].lower()
