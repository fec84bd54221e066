"""API tokens in the database: stored as digests only, found by digest and login, expired
tokens refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from onstream.clock import utcnow
from onstream.storage.database import open_database, transaction
from onstream.storage.migrate import upgrade
from onstream.users import repository, service, tokens
from onstream.users.tables import api_tokens


@pytest.mark.anyio
async def test_expired_tokens_are_refused_and_only_digests_are_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    await asyncio.to_thread(upgrade, url)
    database = open_database(url)
    try:
        async with transaction(database, write=True) as conn:
            await service.add_account(conn, login="dana", email="d@example.com", password="x" * 12)
            await service.add_account(conn, login="eve", email="e@example.com", password="x" * 12)
            secret = await tokens.create_token(conn, login="dana", name="ci", expires_days=1)
        digest = tokens.token_digest(secret)
        async with transaction(database, write=False) as conn:
            stored = (await conn.execute(select(api_tokens))).one()
            now = utcnow()
            found = await repository.account_by_token(
                conn, login="dana", token_hash=digest, now=now
            )
            later = await repository.account_by_token(
                conn, login="dana", token_hash=digest, now=now + timedelta(days=1, seconds=1)
            )
            other = await repository.account_by_token(conn, login="eve", token_hash=digest, now=now)
        assert secret not in str(tuple(stored))
        assert stored.token_hash == digest
        assert found is not None
        assert found[0].login == "dana"
        assert not found[0].read_only
        assert later is None
        assert other is None
    finally:
        await database.dispose()
