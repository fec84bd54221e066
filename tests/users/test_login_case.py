"""Logins are unique without regard to case: migration 0007 refuses clashes by name, and the
index it adds refuses a lookalike on both databases."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from tests.support import postgres

from onstream.storage.database import create_async_engine_for
from onstream.storage.migrate import upgrade

ADMIN = os.environ.get("ONSTREAM_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432"
INSERT = (
    "INSERT INTO users (login, email, email_key, created_at, updated_at) "
    "VALUES ('{login}', 'x@example.com', 'x@example.com', '2026-01-01', '2026-01-01')"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return postgres.create_database(ADMIN)


def execute(url: str, *statements: str) -> None:
    async def run() -> None:
        engine = create_async_engine_for(url)
        try:
            async with engine.begin() as conn:
                for statement in statements:
                    await conn.execute(sa.text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_migration_names_logins_that_differ_only_in_case(database_url: str) -> None:
    upgrade(database_url, "0006")
    logins = ("jdoe", "JDoe", "ana", "Zed", "zed")
    execute(database_url, *(INSERT.format(login=login) for login in logins))
    with pytest.raises(RuntimeError) as failure:
        upgrade(database_url)
    message = str(failure.value)
    assert "'JDoe', 'jdoe'" in message
    assert "'Zed', 'zed'" in message
    assert "'ana'" not in message
    execute(database_url, "UPDATE users SET login = 'jdoe2' WHERE login = 'JDoe'")
    execute(database_url, "UPDATE users SET login = 'zed2' WHERE login = 'Zed'")
    upgrade(database_url)  # the clashes renamed, it goes through


def test_the_index_refuses_a_lookalike_login(database_url: str) -> None:
    upgrade(database_url)
    execute(database_url, INSERT.format(login="jdoe"))
    with pytest.raises(IntegrityError):
        execute(database_url, INSERT.format(login="JDOE"))
