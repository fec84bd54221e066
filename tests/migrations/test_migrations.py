"""The Alembic migrations build exactly the schema the code's tables describe, on both
databases, and can be undone."""

from __future__ import annotations

import asyncio
import os
import warnings
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from tests.support import postgres

from onstream.schema import metadata
from onstream.storage.database import create_async_engine_for
from onstream.storage.migrate import alembic_config, upgrade

ADMIN = os.environ.get("ONSTREAM_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return postgres.create_database(ADMIN)


def inspect_sync(url: str, look: object) -> object:
    async def run() -> object:
        engine = create_async_engine_for(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(look)  # type: ignore[arg-type]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def differences(conn: Connection) -> list[object]:
    with warnings.catch_warnings():
        # SQLite's reflection skips indexes on expressions (lower(login)); the tests of
        # logins unique without regard to case check that one by what it refuses.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    upgrade(database_url)
    assert inspect_sync(database_url, differences) == []


def test_downgrade_to_nothing_and_up_again(database_url: str) -> None:
    upgrade(database_url)
    command.downgrade(alembic_config(database_url), "base")
    assert inspect_sync(database_url, table_names) == {"alembic_version"}
    upgrade(database_url)
    assert "sessions" in inspect_sync(database_url, table_names)  # type: ignore[operator]


def test_existing_accounts_are_verified_and_people_are_not(database_url: str) -> None:
    """Addresses set before confirmation existed keep matching invitations (0010)."""
    upgrade(database_url, "0009")

    async def run(statements: list[str]) -> list[object]:
        engine = create_async_engine_for(database_url)
        try:
            async with engine.begin() as conn:
                result = None
                for statement in statements:
                    result = await conn.execute(text(statement))
                assert result is not None
                return [tuple(row) for row in result]
        finally:
            await engine.dispose()

    asyncio.run(
        run(
            [
                "INSERT INTO users (id, login, email, email_key, password_hash, created_at, "
                "updated_at) VALUES (1, 'old', 'Old@example.com', 'old@example.com', 'x', "
                "'2026-12-01 10:00:00', '2026-12-01 10:00:00')",
                "INSERT INTO users (id, owner_id, email, email_key, created_at, updated_at) "
                "VALUES (2, 1, 'guest@example.com', 'guest@example.com', "
                "'2026-12-01 10:00:00', '2026-12-01 10:00:00')",
                "SELECT 1",
            ]
        )
    )
    upgrade(database_url)
    rows = asyncio.run(run(["SELECT id, email_verified FROM users ORDER BY id"]))
    assert [(row[0], bool(row[1])) for row in rows] == [(1, True), (2, False)]  # type: ignore[index]


ADD_ACCOUNT = text(
    "INSERT INTO users (id, login, email, email_key, password_hash, timezone, dst, created_at, "
    "updated_at) VALUES (:id, :login, :email, :email, 'x', :zone, :dst, :at, :at)"
)


def test_accounts_in_an_iana_zone_get_the_dst_flag_the_api_shows(database_url: str) -> None:
    """Accounts that held an IANA name before 0020 answer the flag their zone has (UP1 with
    DST for Berlin, no DST for Kolkata); accounts on a code keep theirs."""
    upgrade(database_url, "0019")
    at = datetime(2026, 12, 1, 10)
    rows = [
        {"id": 1, "login": "berlin", "zone": "Europe/Berlin", "dst": False},
        {"id": 2, "login": "kolkata", "zone": "Asia/Kolkata", "dst": True},
        {"id": 3, "login": "coded", "zone": "UP1", "dst": False},
    ]

    async def add() -> None:
        engine = create_async_engine_for(database_url)
        try:
            async with engine.begin() as conn:
                params = [{**row, "email": f"{row['login']}@example.com", "at": at} for row in rows]
                await conn.execute(ADD_ACCOUNT, params)
        finally:
            await engine.dispose()

    asyncio.run(add())
    upgrade(database_url)

    def flags(conn: Connection) -> list[tuple[str, bool]]:
        found = conn.execute(text("SELECT login, dst FROM users ORDER BY id"))
        return [(row[0], bool(row[1])) for row in found]

    assert inspect_sync(database_url, flags) == [
        ("berlin", True),
        ("kolkata", False),
        ("coded", False),
    ]
