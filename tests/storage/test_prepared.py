"""Prepared statements (storage.prepared) answer what SQLAlchemy answers, on both databases:
reads in the same snapshot as the rest of their transaction, writes storing the same
values (datetimes, JSON, booleans converted as SQLAlchemy converts them); a failed one
leaves no broken connection behind."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from tests.support import postgres
from tests.support.waiting import wait_until_async

from onstream.sessions import repository
from onstream.sessions.models import Session
from onstream.sessions.tables import sessions
from onstream.storage.database import Database, open_database
from onstream.storage.migrate import upgrade
from onstream.storage.prepared import Prepared
from onstream.users.repository import insert_account

ADMIN = os.environ.get("ONSTREAM_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432"
NOW = datetime(2030, 1, 2, 3, 4, 5, 678901)


def _bare(owner: int, **values: Any) -> dict[str, Any]:
    """The columns a new session cannot do without, and `values`."""
    return {"owner_id": owner, "start_utc": NOW, "created_at": NOW, "updated_at": NOW, **values}


def _full(owner: int, **values: Any) -> dict[str, Any]:
    """A session with every kind of column filled (datetime, JSON, boolean), and `values`."""
    every_kind = {
        "topic": "Prepared",
        "duration": 45,
        "timezone": "UP1",
        "password": "pw",
        "access_code": 123456,
        "custom_data": {"custom1": "a"},
        "auto_record": True,
    }
    return _bare(owner, **{**every_kind, **values})


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'prepared.db'}"
    return postgres.create_database(ADMIN)


async def _seed(database: Database) -> tuple[int, int]:
    """An account with one session that has every kind of column filled: (owner, session)."""
    async with database.transaction(write=True) as conn:
        owner = await insert_account(
            conn,
            login="owner",
            email="owner@example.com",
            password_hash="x",
            timezone="UTC",
            dst=False,
            phone_bridge=False,
            now=NOW,
        )
        session_id = await repository.insert_session(conn, _full(owner, session_key="key-1"))
    return owner, session_id


async def _same_rows(url: str) -> None:
    database = open_database(url)
    try:
        owner, session_id = await _seed(database)
        async with database.transaction(write=False) as conn:
            prepared = await repository.by_id(conn, owner_id=owner, session_id=session_id)
            query = select(*repository.SESSION_COLUMNS).where(sessions.c.id == session_id)
            through_sqlalchemy = Session(*(await conn.execute(query)).one())
            page = await repository.page(conn, owner_id=owner, count=10, offset=0, descending=False)
        assert prepared == through_sqlalchemy == page[0]
        assert prepared.start_utc == NOW
        assert prepared.custom_data == {"custom1": "a"}
        assert prepared.auto_record is True
        # The same inside a write transaction, which goes through SQLAlchemy on PostgreSQL.
        async with database.transaction(write=True) as conn:
            assert await repository.by_id(conn, owner_id=owner, session_id=session_id) == prepared
    finally:
        await database.dispose()


def test_prepared_reads_answer_what_sqlalchemy_answers(database_url: str) -> None:
    upgrade(database_url)
    asyncio.run(_same_rows(database_url))


async def _one_snapshot(url: str) -> None:
    database = open_database(url)
    try:
        owner, session_id = await _seed(database)
        async with database.transaction(write=False) as reader:
            assert await repository.live_total(reader, owner_id=owner) == 1
            async with database.transaction(write=True) as writer:
                await repository.mark_deleted(
                    writer, session_id, owner_id=owner, now=NOW, sequence=1
                )
            # Both kinds of statement still see the read's snapshot.
            assert await repository.live_total(reader, owner_id=owner) == 1
            count = select(sessions.c.id).where(sessions.c.deleted_at.is_(None))
            assert (await reader.execute(count)).all() == [(session_id,)]
        async with database.transaction(write=False) as conn:
            assert await repository.live_total(conn, owner_id=owner) == 0
    finally:
        await database.dispose()


def test_a_read_on_sqlite_keeps_one_snapshot_from_its_first_statement(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'snapshot.db'}"
    upgrade(url)
    asyncio.run(_one_snapshot(url))


async def _after_a_lost_connection(url: str) -> None:
    database = open_database(url)
    try:
        owner, session_id = await _seed(database)
        async with database.transaction(write=False) as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        # The server drops the pool's one connection (as a restart would), between requests.
        admin = await asyncpg.connect(url)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        with pytest.raises(Exception):  # noqa: B017, PT011  # the driver's own error, any
            async with database.transaction(write=False) as conn:
                await repository.by_id(conn, owner_id=owner, session_id=session_id)
        async with database.transaction(write=False) as conn:
            found = await repository.by_id(conn, owner_id=owner, session_id=session_id)
        assert found is not None
    finally:
        await database.dispose()


def test_a_prepared_read_on_a_lost_connection_fails_once(tmp_path: Path) -> None:
    url = postgres.create_database(ADMIN)
    upgrade(url)
    asyncio.run(_after_a_lost_connection(url))


_SLEEP = Prepared(select(func.pg_sleep(bindparam("seconds"))))


async def _statement_the_server_terminates(database: Database, admin: asyncpg.Connection) -> None:
    """Run a long statement on a read's connection and have the server shut its backend
    down while it runs: the server's last answer is an error of its own ("terminating
    connection"), then it closes the connection."""
    async with database.transaction(write=False) as conn:
        pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        sleeping = asyncio.create_task(conn.fetch(_SLEEP, {"seconds": 30}))
        running = "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%sleep%'"
        await wait_until_async(
            lambda: admin.fetchval(running, pid), "the statement to run on the server"
        )
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
        await sleeping


async def _terminated_mid_statement(url: str) -> None:
    database = open_database(url)
    try:
        owner, session_id = await _seed(database)
        admin = await asyncpg.connect(url)
        try:
            with pytest.raises(DBAPIError, match="terminating connection"):
                await _statement_the_server_terminates(database, admin)
        finally:
            await admin.close()
        async with database.transaction(write=False) as conn:
            found = await repository.by_id(conn, owner_id=owner, session_id=session_id)
        assert found is not None
    finally:
        await database.dispose()


def test_a_connection_the_server_shut_down_mid_statement_is_not_reused() -> None:
    url = postgres.create_database(ADMIN)
    upgrade(url)
    asyncio.run(_terminated_mid_statement(url))


def test_statements_whose_sql_depends_on_the_parameters_are_refused() -> None:
    from sqlalchemy.dialects import sqlite

    expanding = select(sessions.c.id).where(sessions.c.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="depends on the parameters"):
        Prepared(expanding).compiled(sqlite.dialect())


async def _same_writes(url: str) -> None:
    database = open_database(url)
    try:
        owner, prepared_id = await _seed(database)
        async with database.transaction(write=True) as conn:
            through_sqlalchemy = (
                await conn.execute(
                    insert(sessions).returning(sessions.c.id),
                    _full(owner, session_key="key-2", access_code=654321),
                )
            ).scalar_one()
            # A second prepared insert with fewer columns: its own statement, the defaults.
            bare_id = await repository.insert_session(
                conn,
                _bare(owner, topic="Bare", duration=30, timezone="UTC", session_key="key-3"),
            )
        async with database.transaction(write=False) as conn:
            stored = {
                row.id: row._asdict()
                for row in await conn.execute(select(sessions).order_by(sessions.c.id))
            }
            live = await repository.live_total(conn, owner_id=owner)
        differing = {"id", "session_key", "host_key", "access_code"}
        mine = {k: v for k, v in stored[prepared_id].items() if k not in differing}
        theirs = {k: v for k, v in stored[through_sqlalchemy].items() if k not in differing}
        assert mine == theirs
        assert mine["start_utc"] == NOW
        assert mine["custom_data"] == {"custom1": "a"}
        assert mine["auto_record"] is True
        assert stored[bare_id]["auto_record"] is False
        assert stored[bare_id]["password"] is None
        # The block counts the two prepared inserts deferred (not the bare SQLAlchemy one).
        assert live == 2
    finally:
        await database.dispose()


def test_prepared_writes_store_what_sqlalchemy_stores(database_url: str) -> None:
    upgrade(database_url)
    asyncio.run(_same_writes(database_url))


async def _clash(url: str) -> None:
    database = open_database(url)
    try:
        owner, _ = await _seed(database)
        # the seeded session's key
        taken = _bare(owner, topic="Clash", duration=30, timezone="UTC", session_key="key-1")
        with pytest.raises(IntegrityError):
            async with database.transaction(write=True) as conn:
                await repository.insert_session(conn, taken)
        # Nothing of it stayed, and the next write on the same database succeeds.
        async with database.transaction(write=True) as conn:
            await repository.insert_session(conn, {**taken, "session_key": "key-9"})
        async with database.transaction(write=False) as conn:
            topics = (await conn.execute(select(sessions.c.topic))).scalars().all()
            assert await repository.live_total(conn, owner_id=owner) == 2
        assert sorted(topics) == ["Clash", "Prepared"]
    finally:
        await database.dispose()


def test_a_prepared_write_that_clashes_is_sqlalchemys_integrity_error(database_url: str) -> None:
    upgrade(database_url)
    asyncio.run(_clash(database_url))


class _Abandon(Exception):
    """Raised to leave a write transaction without committing."""


async def _rolled_back(url: str) -> None:
    database = open_database(url)
    try:
        owner, _ = await _seed(database)
        values = _bare(owner, topic="Abandoned", duration=30, timezone="UTC", session_key="key-5")
        seen: list[str] = []

        async def write_then_abandon() -> None:
            async with database.transaction(write=True) as conn:
                session_id = await repository.insert_session(conn, values)
                # The same transaction sees its own prepared write, through SQLAlchemy too.
                query = select(sessions.c.topic).where(sessions.c.id == session_id)
                seen.append((await conn.execute(query)).scalar_one())
                raise _Abandon

        with pytest.raises(_Abandon):
            await write_then_abandon()
        assert seen == ["Abandoned"]
        async with database.transaction(write=False) as conn:
            topics = (await conn.execute(select(sessions.c.topic))).scalars().all()
            assert await repository.live_total(conn, owner_id=owner) == 1
        assert topics == ["Prepared"]
    finally:
        await database.dispose()


def test_a_prepared_write_is_part_of_its_transaction(database_url: str) -> None:
    upgrade(database_url)
    asyncio.run(_rolled_back(database_url))
