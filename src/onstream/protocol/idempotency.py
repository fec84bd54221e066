"""`Idempotency-Key`: a retried PUT or POST replays the first answer instead of acting twice.

A client that lost an answer (a timeout, a dropped connection) cannot tell whether its write
happened. Sending the same `Idempotency-Key` header with the retry makes it safe: within
`KEY_LIFETIME`, the same key from the same account with the same request (method, path and
query, body parameters: `request_hash`) gets the first answer again, byte for byte, and
nothing runs a second time; the same key with a different request is refused (422).

The key is claimed by a row inserted at the start of the request's own transaction and the
answer is written into that row before it commits, so a key is never recorded without its
effect (a crash or a refusal rolls both back, and a retry runs afresh). A concurrent request
with the same key waits on that row: PostgreSQL's unique index blocks its insert until the
first transaction ends, SQLite's write lock serialises the two; it then finds the answer and
replays it. Only answers of handlers that returned are kept: an error changed nothing, and a
retry with the same key runs again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    and_,
    delete,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from starlette.datastructures import UploadFile
from starlette.responses import Response

from onstream.protocol.errors import BadRequest, Conflict, Unprocessable
from onstream.protocol.values import Value
from onstream.storage.connection import Connection
from onstream.storage.metadata import metadata

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
"""Set on a replayed answer (and only there), so a client can tell a replay from a first run."""
MAX_KEY_LENGTH = 255
KEY_LIFETIME = timedelta(hours=24)
KEYED_METHODS = frozenset({"PUT", "POST"})
PURGE_EVERY_SECONDS = 60.0
"""How often a process purges expired keys, at most (on a keyed write)."""
_CHUNK = 1024 * 1024

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("account_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(MAX_KEY_LENGTH), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=True),
    Column("headers", Text, nullable=True),
    Column("body", LargeBinary, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_idempotency_keys_created_at", "created_at"),
)
"""One row per (account, key) used within `KEY_LIFETIME`: the request's hash and its answer
(status, headers as a JSON list of pairs, body bytes). `status` is NULL only inside the
transaction that claimed the key, which no other transaction sees."""


@dataclass(frozen=True, slots=True)
class Keyed:
    """A keyed write: whose key, the key, and the request's hash."""

    account_id: int
    key: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class Stored:
    """An answer recorded under a key."""

    request_hash: str
    status: int | None
    headers: str | None
    body: bytes | None


class Recorded(Exception):  # a signal, not an error: the key has an answer
    """Raised inside a claiming transaction when the key turns out to be taken: the
    transaction rolls back (nothing was written) and the stored answer is replayed."""

    def __init__(self, stored: Stored) -> None:
        super().__init__("the idempotency key has an answer")
        self.stored = stored


def key_of(headers: Mapping[str, str], method: str) -> str | None:
    """The request's `Idempotency-Key`, or None when it has none or is not a PUT or POST
    (GET and the others ignore it); 400 for an empty or over-long key."""
    if method not in KEYED_METHODS or HEADER not in headers:
        return None
    key = headers[HEADER].strip()
    if not key:
        raise BadRequest("The Idempotency-Key header is empty; send a unique value per request")
    if len(key) > MAX_KEY_LENGTH:
        raise BadRequest(
            f"The Idempotency-Key header is {len(key)} characters long; "
            f"the limit is {MAX_KEY_LENGTH}"
        )
    return key


async def request_hash(method: str, raw_path: str, body: Mapping[str, Value] | None) -> str:
    """SHA-256 of the method, the path with its query and the body's parameters (uploads by
    name, type and content), so that the same request sent as JSON or as a form hashes
    alike and a different one does not."""
    digest = hashlib.sha256()
    digest.update(f"{method} {raw_path}\n".encode())
    digest.update(json.dumps(await _canonical(dict(body or {})), sort_keys=True).encode())
    return digest.hexdigest()


async def _canonical(value: Any) -> Any:
    if isinstance(value, UploadFile):
        content = hashlib.sha256()
        await value.seek(0)
        while chunk := await value.read(_CHUNK):
            content.update(chunk)
        await value.seek(0)
        return {"upload": value.filename, "type": value.content_type, "sha256": content.hexdigest()}
    if isinstance(value, Mapping):
        return {str(k): await _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [await _canonical(v) for v in value]
    return value


async def find(conn: Connection, keyed: Keyed, *, now: datetime) -> Stored | None:
    """The answer recorded under the key within its lifetime, or None."""
    rows = await conn.execute(
        select(
            idempotency_keys.c.request_hash,
            idempotency_keys.c.status,
            idempotency_keys.c.headers,
            idempotency_keys.c.body,
        ).where(_row(keyed), idempotency_keys.c.created_at > now - KEY_LIFETIME)
    )
    row = rows.first()
    return None if row is None else Stored(row[0], row[1], row[2], row[3])


async def purge(conn: Connection, *, now: datetime) -> None:
    """Forget every expired key (of every account; the index on `created_at` finds them).
    Run in a short transaction of its own, so that no request's transaction waits on
    another account's expired rows."""
    await conn.execute(
        delete(idempotency_keys).where(idempotency_keys.c.created_at <= now - KEY_LIFETIME)
    )


async def claim(conn: Connection, keyed: Keyed, *, now: datetime) -> None:
    """Claim the key in the request's transaction, first forgetting its expired use if any;
    `Recorded` when a live answer exists, including one a concurrent request committed while
    this one waited."""
    await conn.execute(
        delete(idempotency_keys).where(
            _row(keyed), idempotency_keys.c.created_at <= now - KEY_LIFETIME
        )
    )
    dialect = postgresql if conn.dialect_name == "postgresql" else sqlite
    statement = (
        dialect.insert(idempotency_keys)
        .values(
            account_id=keyed.account_id,
            key=keyed.key,
            request_hash=keyed.request_hash,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["account_id", "key"])
        .returning(idempotency_keys.c.key)
    )
    if (await conn.execute(statement)).first() is not None:
        return
    stored = await find(conn, keyed, now=now)
    if stored is None:  # expired between the purge and the insert: a clock edge
        raise Conflict("A request with this Idempotency-Key is in progress; retry shortly")
    raise Recorded(stored)


async def record(conn: Connection, keyed: Keyed, response: Response) -> None:
    """Store the answer under the claimed key, in the same transaction as its effect."""
    headers = [
        [name.decode("latin-1"), value.decode("latin-1")]
        for name, value in response.raw_headers
        if name.lower() != b"content-length"
    ]
    await conn.execute(
        update(idempotency_keys)
        .where(_row(keyed))
        .values(status=response.status_code, headers=json.dumps(headers), body=response.body)
    )


def replay(stored: Stored, keyed: Keyed) -> Response:
    """The first answer again; 422 when the key was used for another request."""
    if stored.request_hash != keyed.request_hash:
        raise Unprocessable(
            "This Idempotency-Key was already used for a different request (method, path or "
            "body) in the last 24 hours; use a new key for a new request"
        )
    if stored.status is None or stored.body is None:
        raise Conflict("A request with this Idempotency-Key is in progress; retry shortly")
    response = Response(stored.body, status_code=stored.status)
    headers = [(str(n), str(v)) for n, v in json.loads(stored.headers or "[]")]
    response.raw_headers = [
        *((n.encode("latin-1"), v.encode("latin-1")) for n, v in headers),
        (b"content-length", str(len(stored.body)).encode()),
        (REPLAYED_HEADER.lower().encode(), b"true"),
    ]
    return response


def _row(keyed: Keyed) -> Any:
    return and_(
        idempotency_keys.c.account_id == keyed.account_id, idempotency_keys.c.key == keyed.key
    )
