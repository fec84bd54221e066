"""A page of sessions reads only the columns of the fields it shows (`documents.columns_for`),
and its document is the one the whole sessions would make, for every selection of fields,
on both databases."""

from __future__ import annotations

import asyncio
import os
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.support import postgres

from onstream.sessions import documents, repository
from onstream.storage.database import open_database
from onstream.storage.migrate import upgrade
from onstream.users.repository import insert_account

ADMIN = os.environ.get("ONSTREAM_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432"
NOW = datetime(2030, 3, 30, 23, 45, 6, 789012)
BASE = "https://meet.example.com"


class Owner:
    login = "owner"
    dst = True


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fields.db'}"
    return postgres.create_database(ADMIN)


def _session(owner: int, n: int, **values: Any) -> dict[str, Any]:
    return {
        "owner_id": owner,
        "topic": f"Session {n}",
        "start_utc": NOW,
        "duration": 30 + n,
        "timezone": "UP1",
        "session_key": f"key-{n}",
        "host_key": f"host-{n}",
        "created_at": NOW,
        "updated_at": NOW,
        **values,
    }


def selections() -> list[tuple[str, ...]]:
    """The default, all fields, all in reverse, each field alone, and random mixes."""
    rng = random.Random(11)  # noqa: S311  # a repeatable mix, not a secret
    mixes = [tuple(rng.sample(documents.FIELDS, rng.randint(2, 8))) for _ in range(20)]
    alone = [(name,) for name in documents.FIELDS]
    whole = tuple(documents.FIELDS)
    return [documents.DEFAULT_FIELDS, whole, whole[::-1], *alone, *mixes]


async def _scenario(url: str) -> None:
    database = open_database(url)
    try:
        async with database.transaction(write=True) as conn:
            owner = await insert_account(
                conn,
                login="owner",
                email="owner@example.com",
                password_hash="x",
                timezone="UP1",
                dst=True,
                phone_bridge=False,
                now=NOW,
            )
            await repository.insert_session(conn, _session(owner, 1))
            await repository.insert_session(
                conn,
                _session(
                    owner,
                    2,
                    password="secret",
                    friendly_url="weekly",
                    access_code=123456,
                    custom_data={"custom1": "a", "custom2": "b"},
                    auto_record=True,
                    timezone="UM8",
                ),
            )
        for fields in selections():
            columns = documents.columns_for(fields)
            async with database.transaction(write=False) as conn:
                whole = await repository.page(
                    conn, owner_id=owner, count=10, offset=0, descending=False
                )
                rows = await repository.page_rows(
                    conn, owner_id=owner, count=10, offset=0, descending=False, columns=columns
                )
            expected = documents.sessions_document(
                whole, owner=Owner(), base_url=BASE, fields=fields
            )
            shown = documents.page_document(rows, owner=Owner(), base_url=BASE, fields=fields)
            assert shown.data == expected.data, fields
            assert len(shown.data["sessions"]) == 2
    finally:
        await database.dispose()


def test_a_page_shows_what_the_whole_sessions_show(database_url: str) -> None:
    upgrade(database_url)
    asyncio.run(_scenario(database_url))


def test_the_default_fields_read_fewer_columns() -> None:
    columns = documents.columns_for(documents.DEFAULT_FIELDS)
    assert set(columns) == {
        "id",
        "topic",
        "start_utc",
        "duration",
        "timezone",
        "password",
        "friendly_url",
        "session_key",
        "access_code",
        "custom_data",
    }
