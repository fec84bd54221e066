"""The bulk loader: accounts, sessions and invitees written straight into the database.

`upgrade(url)` creates the schema, then SQLAlchemy Core inserts rows in large executemany
batches, bypassing the API (a million sessions through PUT would take longer than the whole
benchmark). Accounts get argon2id hashes from `onstream.users.passwords.hash_password`, the
same as `onstream user add`. The big account has `sessions` sessions; every
(sessions / invited_sessions)-th one has two invitees, drawn from `invited_sessions` people.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, text

from onstream.invitees.tables import invitations
from onstream.sessions import repository as session_repository
from onstream.sessions.tables import sessions
from onstream.storage.database import open_database, transaction
from onstream.storage.migrate import upgrade
from onstream.users.passwords import hash_password
from onstream.users.tables import users

BATCH = 50_000
BIG, WRITER, MAILER = "big", "writer", "mailer"
START = dt.datetime(2030, 1, 1, 9, 0)


@dataclass(frozen=True, slots=True)
class Account:
    """A seeded account and its password."""

    login: str
    password: str
    id: int


@dataclass(frozen=True, slots=True)
class Seeded:
    """What the figures need to know about the seeded database."""

    accounts: dict[str, Account]
    sessions: int
    """Live sessions of the big account."""
    sample_session_id: int
    """A session of the big account in the middle of its ids (G1)."""
    invitations: int
    seconds: float


def _batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _account_row(login: str, password: str, now: dt.datetime) -> dict[str, Any]:
    email = f"{login}@bench.example.org"
    return {
        "login": login,
        "email": email,
        "email_key": email,
        "password_hash": hash_password(password),
        "timezone": "UTC",
        "dst": False,
        "phone_bridge": False,
        "created_at": now,
        "updated_at": now,
    }


def _session_rows(owner_id: int, count: int, now: dt.datetime) -> Iterator[dict[str, Any]]:
    prefix = secrets.token_hex(4)
    for i in range(count):
        yield {
            "owner_id": owner_id,
            "topic": f"Bench session {i}",
            "start_utc": START + dt.timedelta(minutes=30 * i),
            "duration": 60,
            "timezone": "UP1",
            "session_key": f"{prefix}{i:020d}",
            "sequence": 0,
            "created_at": now,
            "updated_at": now,
        }


def _people_rows(owner_id: int, count: int, now: dt.datetime) -> Iterator[dict[str, Any]]:
    for i in range(count):
        email = f"person{i}@people.example.org"
        yield {
            "owner_id": owner_id,
            "email": email,
            "email_key": email,
            "first_name": f"Person{i}",
            "last_name": "Bench",
            "created_at": now,
            "updated_at": now,
        }


def _invitation_rows(
    session_ids: list[int], people_ids: list[int], now: dt.datetime
) -> Iterator[dict[str, Any]]:
    n = len(people_ids)
    for k, session_id in enumerate(session_ids):
        for j, role in ((k, 1), ((k + 1) % n, 2)):
            yield {
                "session_id": session_id,
                "user_id": people_ids[j],
                "role": role,
                "token": secrets.token_urlsafe(24),
                "mailed": True,
                "created_at": now,
                "updated_at": now,
            }


async def _load(url: str, sessions_count: int, invited: int) -> Seeded:
    started = time.monotonic()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    passwords = {login: secrets.token_urlsafe(12) for login in (BIG, WRITER, MAILER)}
    database = open_database(url)
    try:
        async with transaction(database, write=True) as conn:
            for login, password in passwords.items():
                await conn.execute(insert(users), [_account_row(login, password, now)])
            rows = await conn.execute(
                select(users.c.login, users.c.id).where(users.c.login.in_(passwords))
            )
            ids = {row.login: int(row.id) for row in rows}
        big = ids[BIG]
        for batch in _batches(_session_rows(big, sessions_count, now)):
            async with transaction(database, write=True) as conn:
                await conn.execute(insert(sessions), batch)
        async with transaction(database, write=True) as conn:
            await session_repository.recount_blocks(conn)
        async with transaction(database, write=False) as conn:
            session_ids = list(
                await conn.scalars(
                    select(sessions.c.id).where(sessions.c.owner_id == big).order_by(sessions.c.id)
                )
            )
        step = max(1, len(session_ids) // max(1, invited))
        chosen = session_ids[::step][:invited]
        async with transaction(database, write=True) as conn:
            for batch in _batches(_people_rows(big, len(chosen), now)):
                await conn.execute(insert(users), batch)
            people = list(
                await conn.scalars(
                    select(users.c.id).where(users.c.owner_id == big).order_by(users.c.id)
                )
            )
        for batch in _batches(_invitation_rows(chosen, people, now)):
            async with transaction(database, write=True) as conn:
                await conn.execute(insert(invitations), batch)
        async with transaction(database, write=True) as conn:
            if conn.dialect_name == "postgresql":
                await conn.execute(text("ANALYZE"))
            count = await conn.scalar(
                select(func.count()).select_from(sessions).where(sessions.c.owner_id == big)
            )
            invites = await conn.scalar(select(func.count()).select_from(invitations))
    finally:
        await database.dispose()
    accounts = {login: Account(login, passwords[login], ids[login]) for login in passwords}
    return Seeded(
        accounts=accounts,
        sessions=int(count or 0),
        sample_session_id=session_ids[len(session_ids) // 2] if session_ids else 1,
        invitations=int(invites or 0),
        seconds=time.monotonic() - started,
    )


def seed(url: str, *, sessions_count: int, invited_sessions: int) -> Seeded:
    """Migrate an empty database and fill it; see the module's docstring."""
    upgrade(url)
    return asyncio.run(_load(url, sessions_count, invited_sessions))
