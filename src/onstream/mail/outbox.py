"""Queries on the outbox: enqueue in the caller's transaction; claim, and record results.

Claiming is safe with several workers on one database. On PostgreSQL the due rows are
selected `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint rows without waiting;
on SQLite the claim runs in a write transaction (BEGIN IMMEDIATE), which serializes claims.
Either way a claimed row carries the worker's name and a lease; a row is marked sent only by
the worker holding its lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import getaddresses

from sqlalchemy import and_, bindparam, func, insert, or_, select, update

from onstream.clock import utcnow
from onstream.errors import Invalid, Missing
from onstream.mail.messages import Composed
from onstream.mail.statuses import DONE, FAILED, PENDING, SENT, STATUSES
from onstream.mail.tables import outbox
from onstream.storage.database import Connection


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message a worker now holds the lease on."""

    id: int
    attempts: int
    created_at: datetime
    kind: str
    """What the message tells: `invitation`, `update`, `cancel`, ..."""
    session_id: int | None
    recipient: str
    """The To header (`Name <address>`)."""
    subject: str
    data: bytes
    """The message as it goes over SMTP."""


async def enqueue(conn: Connection, *, kind: str, session_id: int | None, message: Composed) -> int:
    """Queue a message; it is sent only if the caller's transaction commits."""
    result = await conn.execute(_INSERT.returning(outbox.c.id), _row(kind, session_id, message))
    return int(result.scalar_one())


async def enqueue_many(
    conn: Connection, *, kind: str, session_id: int | None, messages: Sequence[Composed]
) -> None:
    """Queue messages in one executemany (a webinar's invitations), as `enqueue` each."""
    if messages:
        await conn.execute(_INSERT, [_row(kind, session_id, m) for m in messages])


_INSERT = insert(outbox)


def _row(kind: str, session_id: int | None, message: Composed) -> dict[str, object]:
    now = utcnow()
    return {
        "kind": kind,
        "session_id": session_id,
        "recipient": message.recipient,
        "subject": message.subject,
        "message": message.data.decode("ascii"),
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _due(now: datetime):  # type: ignore[no-untyped-def]  # a SQLAlchemy boolean clause
    return and_(
        outbox.c.status == PENDING,
        outbox.c.next_attempt_at <= now,
        or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
    )


async def claim(conn: Connection, *, worker: str, lease: timedelta, limit: int) -> list[Claimed]:
    """Take up to `limit` due messages for this worker (inside a write transaction)."""
    now = utcnow()
    query = select(outbox.c.id).where(_due(now)).order_by(outbox.c.id).limit(limit)
    if conn.dialect_name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list((await conn.execute(query)).scalars())
    if not ids:
        return []
    rows = await conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids), _due(now))
        .values(claimed_by=worker, claimed_until=now + lease)
        .returning(
            outbox.c.id,
            outbox.c.attempts,
            outbox.c.created_at,
            outbox.c.kind,
            outbox.c.session_id,
            outbox.c.recipient,
            outbox.c.subject,
            outbox.c.message,
        )
    )
    return [
        Claimed(
            id=row.id,
            attempts=row.attempts,
            created_at=row.created_at,
            kind=row.kind,
            session_id=row.session_id,
            recipient=row.recipient,
            subject=row.subject,
            data=row.message.encode("utf-8", "surrogateescape"),
        )
        for row in sorted(rows, key=lambda r: r.id)
    ]


async def mark_sent(conn: Connection, *, message_id: int, worker: str, status: str = SENT) -> bool:
    """Record a successful send (`logged` for the console sender); False when this worker
    no longer held the lease."""
    result = await conn.execute(
        _MARK_SENT, {"m_id": message_id, "m_worker": worker, "m_status": status, "m_at": utcnow()}
    )
    return result.rowcount == 1


_MARK_SENT = (
    update(outbox)
    .where(outbox.c.id == bindparam("m_id"), outbox.c.claimed_by == bindparam("m_worker"))
    .values(
        status=bindparam("m_status"),
        sent_at=bindparam("m_at"),
        attempts=outbox.c.attempts + 1,
        claimed_until=None,
        last_error=None,
    )
)
"""Built once: it runs for every message delivered, under SQLite's writer lock."""


async def mark_retry(
    conn: Connection, *, message_id: int, worker: str, error: str, at: datetime
) -> None:
    """Record a failed attempt and when to try again."""
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id, outbox.c.claimed_by == worker)
        .values(
            attempts=outbox.c.attempts + 1,
            last_error=error[:2000],
            next_attempt_at=at,
            claimed_by=None,
            claimed_until=None,
        )
    )


async def mark_failed(conn: Connection, *, message_id: int, worker: str, error: str) -> None:
    """Give up on a message, keeping the reason."""
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id, outbox.c.claimed_by == worker)
        .values(
            status=FAILED,
            attempts=outbox.c.attempts + 1,
            last_error=error[:2000],
            claimed_by=None,
            claimed_until=None,
        )
    )


async def counts(conn: Connection) -> dict[str, int]:
    """How many messages are pending, sent and failed."""
    rows = await conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
    found = {status: int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in STATUSES}


@dataclass(frozen=True, slots=True)
class Backlog:
    """The messages still to deliver: how many, and when the oldest was queued."""

    pending: int
    oldest: datetime | None


async def backlog(conn: Connection) -> Backlog:
    """The pending messages' count and oldest creation time (health checks, metrics)."""
    query = select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.status == PENDING)
    pending, oldest = (await conn.execute(query)).one()
    return Backlog(pending=int(pending), oldest=oldest)


async def recent(conn: Connection, *, status: str | None, limit: int) -> list[dict[str, object]]:
    """The newest messages, optionally of one status, for the operator's view."""
    query = (
        select(
            outbox.c.id,
            outbox.c.kind,
            outbox.c.recipient,
            outbox.c.subject,
            outbox.c.status,
            outbox.c.attempts,
            outbox.c.created_at,
            outbox.c.sent_at,
            outbox.c.next_attempt_at,
            outbox.c.last_error,
        )
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(outbox.c.status == status)
    return [dict(row._mapping) for row in await conn.execute(query)]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message about a session as its organiser sees it: to whom, what, where it is."""

    id: int
    kind: str
    recipient: str
    """The To header (`Name <address>`, RFC 2047 encoded where not ASCII)."""
    address: str
    """The recipient's address, lower-cased: what the message is matched to invitees by."""
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime
    last_error: str | None


async def of_session(conn: Connection, session_id: int, *, limit: int = 500) -> list[Delivery]:
    """The messages about one session, oldest first (at most `limit`, the newest kept)."""
    query = (
        select(
            outbox.c.id,
            outbox.c.kind,
            outbox.c.recipient,
            outbox.c.status,
            outbox.c.attempts,
            outbox.c.created_at,
            outbox.c.sent_at,
            outbox.c.next_attempt_at,
            outbox.c.last_error,
        )
        .where(outbox.c.session_id == session_id)
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    rows = list(await conn.execute(query))
    return [
        Delivery(
            id=row.id,
            kind=row.kind,
            recipient=row.recipient,
            address=getaddresses([row.recipient])[0][1].lower(),
            status=row.status,
            attempts=row.attempts,
            created_at=row.created_at,
            sent_at=row.sent_at,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
        )
        for row in reversed(rows)
    ]


async def message(conn: Connection, message_id: int) -> dict[str, object]:
    """One message with everything stored about it (`onstream outbox show`)."""
    row = (await conn.execute(select(outbox).where(outbox.c.id == message_id))).first()
    if row is None:
        raise Missing(f"there is no message #{message_id}")
    return dict(row._mapping)


async def retry(
    conn: Connection, message_id: int, *, now: datetime, session_id: int | None = None
) -> None:
    """Queue a failed or waiting message for delivery now (`onstream outbox retry`, and
    "Send again" for a message about `session_id`: one about another session is `Missing`);
    a delivered one is refused, so nobody is mailed twice by mistake."""
    query = select(outbox.c.status).where(outbox.c.id == message_id)
    if session_id is not None:
        query = query.where(outbox.c.session_id == session_id)
    status = await conn.scalar(query)
    if status is None:
        raise Missing(f"there is no message #{message_id}")
    if status in DONE:
        raise Invalid(f"message #{message_id} was {status} already; it is not sent again")
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id)
        .values(status=PENDING, next_attempt_at=now, claimed_by=None, claimed_until=None)
    )
