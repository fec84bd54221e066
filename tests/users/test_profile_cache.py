"""POST user and the verified-credential cache: the cached account carries the profile, and
is forgotten only once the change committed. Forgotten before the commit, a request running
meanwhile would read the old profile and cache it again, for the cache's whole lifetime."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from onstream.config import load_settings
from onstream.protocol.params import Params
from onstream.protocol.resources import Call
from onstream.storage.database import open_database, transaction
from onstream.storage.migrate import upgrade
from onstream.storage.unit_of_work import run_after_commit
from onstream.users import repository, service
from onstream.users.authentication import CredentialCache
from onstream.users.routes import post_user


def test_the_cached_account_is_forgotten_after_the_commit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'profile.db'}"
    upgrade(url)
    asyncio.run(edit_a_cached_profile(url))


async def edit_a_cached_profile(url: str) -> None:
    """POST user on an account the cache holds: still held until the commit, then gone."""
    settings = load_settings({"ONSTREAM_DATABASE_URL": url}, env_file=None)
    database = open_database(url)
    cache = CredentialCache(ttl=60, max_entries=10)
    key = cache.key("Basic " + base64.b64encode(b"jdoe:secret-password").decode())
    services: Any = SimpleNamespace(credentials=cache, mail=SimpleNamespace(wake=lambda: None))
    try:
        async with transaction(database, write=True) as conn:
            await service.add_account(
                conn, login="jdoe", email="jdoe@example.com", password="secret-password"
            )
            account = await repository.account_by_login(conn, "jdoe")
        assert account is not None
        cache.put(key, account)

        async with transaction(database, write=True) as conn:
            call = Call(
                account, Params({"timezone": "UM5"}), conn, settings, "/api/2/jdoe", services
            )
            await post_user(call)
            assert cache.get(key) == account  # not yet committed: nothing to see changed
        await run_after_commit(call.after_commit)
        assert cache.get(key) is None
    finally:
        await database.dispose()
