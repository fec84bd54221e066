"""`onstream db copy --to URL`: a populated SQLite database moves to PostgreSQL intact."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from tests.support import postgres
from tests.support.api import ok, rest
from tests.support.app import AppServer

from onstream.schema import metadata
from onstream.storage.database import create_async_engine_for

ADMIN = os.environ.get("ONSTREAM_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432"


async def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    engine = create_async_engine_for(url)
    try:
        async with engine.connect() as conn:
            return {
                table.name: [
                    dict(row._mapping)
                    for row in await conn.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in metadata.sorted_tables
            }
    finally:
        await engine.dispose()


def populate(client: httpx.Client) -> dict[str, Any]:
    kept = ok(
        rest(
            client,
            "PUT",
            "session",
            {
                "topic": "Kept ünïcode",
                "duration": 60,
                "start_time": "2030-06-01 09:00:00",
                "timezone": "UP1",
                "friendly_url": "kept",
                "password": "pw",
                "custom_data": {"custom1": "a", "custom2": "b"},
                "invited_participants": [
                    {"email": "one@example.com", "first_name": "One"},
                    {"email": "two@example.com", "role": 1, "send_email_invitation": 0},
                ],
            },
        ),
        201,
    )["id"]
    deleted = ok(
        rest(
            client,
            "PUT",
            "session",
            {
                "topic": "Deleted",
                "duration": 30,
                "start_time": "2030-06-02 09:00:00",
            },
        ),
        201,
    )["id"]
    ok(rest(client, "DELETE", "session", {"id": deleted}))
    ok(rest(client, "PUT", "user", {"email": "person@example.com", "first_name": "P"}), 201)
    return {"kept": kept, "deleted": deleted}


def test_copy_sqlite_to_postgres_preserves_everything(tmp_path: Path) -> None:
    source = AppServer(
        workdir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 's.db'}",
        extra_env={"ONSTREAM_MAIL_WORKER": "0"},
    )
    source.start()
    source.add_account("mover", "mover-password")
    auth = ("mover", "mover-password")
    with source.api_client(*auth) as client:
        ids = populate(client)
        before = ok(
            client.get(
                "sessions/return/id;topic;start_time;session_link;session_key;"
                "custom_data;password;start_time_utc/format/json"
            )
        )
        invitees_before = ok(client.get(f"invitees/id/{ids['kept']}/format/json"))
    source.close()

    target_url = postgres.create_database(ADMIN)
    result = source.cli("db", "copy", "--to", target_url)
    assert result.returncode == 0, result.stderr
    assert "copied" in result.stdout
    assert "media was not copied" in result.stdout
    assert "onstream media copy" in result.stdout
    assert "  sessions: 2 rows" in result.stderr.splitlines()

    source_rows = asyncio.run(dump(source.database_url))
    target_rows = asyncio.run(dump(target_url))
    assert source_rows["outbox"], "the copy must carry pending mail"
    assert target_rows == source_rows

    moved = AppServer(
        workdir=tmp_path,
        database_url=target_url,
        port=source.port,
        extra_env={"ONSTREAM_MAIL_WORKER": "0"},
    )
    moved.start()
    try:
        with moved.api_client(*auth) as client:
            after = ok(
                client.get(
                    "sessions/return/id;topic;start_time;session_link;session_key;"
                    "custom_data;password;start_time_utc/format/json"
                )
            )
            assert after == before
            assert ok(client.get(f"invitees/id/{ids['kept']}/format/json")) == invitees_before
            assert client.get(f"session/id/{ids['deleted']}").status_code == 410
            new_id = ok(
                rest(
                    client,
                    "PUT",
                    "session",
                    {
                        "topic": "New",
                        "duration": 5,
                        "start_time": "2030-01-01 10:00:00",
                    },
                ),
                201,
            )["id"]
            assert new_id > ids["deleted"]
    finally:
        moved.close()

    again = source.cli("db", "copy", "--to", target_url)
    assert again.returncode == 1
    assert "already has rows" in again.stderr
