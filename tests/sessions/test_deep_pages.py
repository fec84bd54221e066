"""GET sessions at any depth answers exactly the slice a plain OFFSET would, on both databases,
while deep pages start from `session_blocks` instead of skipping entry by entry."""

from __future__ import annotations

import asyncio
import os
import random
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.support import postgres

from onstream.sessions import repository
from onstream.sessions.tables import BLOCK_BITS, session_blocks
from onstream.storage.database import Connection, open_database
from onstream.storage.migrate import upgrade
from onstream.users.repository import insert_account

ADMIN = os.environ.get("ONSTREAM_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432"
NOW = datetime(2030, 1, 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pages.db'}"
    return postgres.create_database(ADMIN)


async def _account(conn: Connection, login: str) -> int:
    return await insert_account(
        conn,
        login=login,
        email=f"{login}@example.com",
        password_hash="x",
        timezone="UTC",
        dst=False,
        phone_bridge=False,
        now=NOW,
    )


def _values(owner_id: int, n: int) -> dict[str, object]:
    return {
        "owner_id": owner_id,
        "topic": f"Session {n}",
        "start_utc": NOW,
        "duration": 30,
        "timezone": "UP1",
        "session_key": f"key-{owner_id}-{n}",
        "created_at": NOW,
        "updated_at": NOW,
    }


async def _blocks(conn: Connection) -> set[tuple[int, int, int]]:
    """(account, block, live sessions), the shards of a block added up."""
    rows = await conn.execute(
        select(
            session_blocks.c.owner_id, session_blocks.c.block, func.sum(session_blocks.c.live)
        ).group_by(session_blocks.c.owner_id, session_blocks.c.block)
    )
    return {(int(o), int(b), int(n)) for o, b, n in rows if n}


async def _scenario(url: str) -> None:
    """Every offset goes through `session_blocks` here (DIRECT_OFFSET is 0, see below)."""
    rng = random.Random(7)  # noqa: S311  # a repeatable mix, not a secret
    database = open_database(url)
    try:
        async with database.transaction(write=True) as conn:
            big, other = await _account(conn, "big"), await _account(conn, "other")
            ids: dict[int, list[int]] = {big: [], other: []}
            # Interleaved owners, so blocks hold sessions of both accounts.
            for n in range(3500):
                owner = other if rng.random() < 0.25 else big
                ids[owner].append(await repository.insert_session(conn, _values(owner, n)))
            deleted = set(rng.sample(ids[big], len(ids[big]) // 5))
            for session_id in deleted:
                await repository.mark_deleted(conn, session_id, owner_id=big, now=NOW, sequence=1)
        live = [i for i in ids[big] if i not in deleted]
        assert len(live) > 2 << BLOCK_BITS  # pages start in, and cross, several blocks

        total = len(live)
        offsets = {0, 1, 1023, 1024, 1025, 2047, 2048, total - 100, total - 1, total, total + 5}
        offsets |= {rng.randrange(total) for _ in range(25)}
        async with database.transaction(write=False) as conn:
            for descending in (False, True):
                expected = list(reversed(live)) if descending else live
                for offset in sorted(offsets):
                    for count in (1, 7, 100):
                        page = await repository.page(
                            conn, owner_id=big, count=count, offset=offset, descending=descending
                        )
                        assert [s.id for s in page] == expected[offset : offset + count], (
                            offset,
                            count,
                            descending,
                        )
            kept = await _blocks(conn)
        # The counts kept by every insert and delete equal a recount from scratch.
        async with database.transaction(write=True) as conn:
            await repository.recount_blocks(conn)
            assert await _blocks(conn) == kept
    finally:
        await database.dispose()


def test_every_offset_answers_the_same_slice_as_a_plain_offset(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Below DIRECT_OFFSET a page is a plain OFFSET (the e2e listing tests cover that path);
    # 0 sends every page through the blocks, so a few thousand sessions exercise them.
    monkeypatch.setattr(repository, "DIRECT_OFFSET", 0)
    # The walk reads the block counts a chunk at a time; chunks of one and two blocks make
    # it cross chunk boundaries here.
    monkeypatch.setattr(repository, "FIRST_CHUNK", 1)
    monkeypatch.setattr(repository, "CHUNK", 2)
    upgrade(database_url)
    asyncio.run(_scenario(database_url))
