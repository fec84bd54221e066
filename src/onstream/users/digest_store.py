"""What HTTP Digest needs from storage: the nonce key, the tokens' hashes, used nonce counts.

The nonce key is the server secret `digest_nonce_key` (migration 0009), shared by every
process through the database, so a nonce one process issued is accepted by another. Each
(nonce, nc) pair a request was accepted with is recorded until the nonce expires, and a
second use is refused: in Redis (`SET NX` with an expiry) when `ONSTREAM_REDIS_URL` is set,
else in the `digest_nonce_counts` table (its primary key refuses the second insert, on any
process; expired rows are purged about once a minute).
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.storage.connection import Database, transaction
from onstream.storage.secrets import DIGEST_NONCE_KEY, read_secret
from onstream.users import repository

if TYPE_CHECKING:
    # Imported only when Redis is configured: the client costs each process 4 MB.
    from redis.asyncio import Redis

PURGE_INTERVAL = 60.0


class DigestStore:
    """Digest's storage for one application: its database, and Redis when configured."""

    def __init__(
        self, database: Database, *, redis_url: str | None = None, prefix: str = "onstream"
    ):
        self._database = database
        self._redis: Redis | None = None
        if redis_url:
            from redis.asyncio import Redis

            self._redis = Redis.from_url(redis_url)
        self._prefix = prefix
        self._key: bytes | None = None
        self._next_purge = 0.0

    async def key(self) -> bytes:
        """The key nonces are signed with (read from the database once)."""
        if self._key is None:
            async with transaction(self._database, write=False) as conn:
                secret = await read_secret(conn, DIGEST_NONCE_KEY)
            self._key = hashlib.sha256(secret.encode()).digest()
        return self._key

    async def candidates(
        self, account: Account, algorithm: str
    ) -> list[tuple[str, Account, repository.DigestToken]]:
        """(H(login:realm:token), the account as that token grants it, the token) for each
        live token of the account that can do Digest with this algorithm."""
        async with transaction(self._database, write=False) as conn:
            tokens = await repository.digest_tokens(
                conn, account_id=account.id, algorithm=algorithm, now=utcnow()
            )
        return [(t.secret_hash, replace(account, read_only=t.read_only), t) for t in tokens]

    async def use(self, *, nonce: str, nc: str, expiry: int, token_hash: str) -> bool:
        """Record the (nonce, nc) pair as used; False when it was used before. The token's
        last use is written with the first count of each nonce."""
        expires_at = datetime.fromtimestamp(expiry, UTC).replace(tzinfo=None)
        if self._redis is not None:
            name = f"{self._prefix}:digest:{_short(nonce)}:{nc}"
            ttl = max(1, expiry - int(time.time()) + 1)
            if not await self._redis.set(name, b"1", nx=True, ex=ttl):
                return False
        else:
            try:
                async with transaction(self._database, write=True) as conn:
                    await repository.use_nonce_count(
                        conn, nonce=nonce, nc=nc, expires_at=expires_at
                    )
            except IntegrityError:
                return False
        touch = nc == "00000001"
        purge = self._redis is None and time.monotonic() >= self._next_purge
        if touch or purge:
            async with transaction(self._database, write=True) as conn:
                if touch:
                    await repository.touch_token(conn, token_hash=token_hash, now=utcnow())
                if purge:
                    self._next_purge = time.monotonic() + PURGE_INTERVAL
                    await repository.purge_nonce_counts(conn, now=utcnow())
        return True

    async def aclose(self) -> None:
        """Close the Redis client, if any (the application's shutdown)."""
        if self._redis is not None:
            await self._redis.aclose()


def _short(nonce: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(nonce.encode()).digest()[:16]).decode()
