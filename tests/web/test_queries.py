"""The page lookups against a migrated database: the cases the API cannot set up.

Session keys are random, so only direct rows can make a friendly URL equal another
session's key and show which one the join page picks.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from onstream.invitees.tables import invitations
from onstream.sessions.tables import sessions
from onstream.storage.database import open_database, transaction
from onstream.storage.migrate import upgrade
from onstream.users.tables import users
from onstream.web import queries

NOW = datetime(2030, 1, 1)


def _rows(url: str, statements: list[Any]) -> None:
    async def run() -> None:
        database = open_database(url)
        async with transaction(database, write=True) as conn:
            for statement in statements:
                await conn.execute(statement)
        await database.dispose()

    asyncio.run(run())


def _user(user_id: int, login: str | None, owner_id: int | None = None) -> Any:
    email = f"{login or user_id}@example.com"
    return insert(users).values(
        id=user_id,
        login=login,
        owner_id=owner_id,
        email=email,
        email_key=email,
        first_name="First",
        last_name=f"Last{user_id}",
        dst=True,
        created_at=NOW,
        updated_at=NOW,
    )


def _session(session_id: int, owner_id: int, key: str, **values: Any) -> Any:
    return insert(sessions).values(
        id=session_id,
        owner_id=owner_id,
        topic=f"Topic {session_id}",
        session_key=key,
        start_utc=datetime(2030, 7, 10, 16),
        duration=30,
        timezone="UP1",
        created_at=NOW,
        updated_at=NOW,
        **values,
    )


def _lookup(url: str, function: Any, **kwargs: str) -> Any:
    async def run() -> Any:
        database = open_database(url)
        async with transaction(database, write=False) as conn:
            result = await function(conn, **kwargs)
        await database.dispose()
        return result

    return asyncio.run(run())


def test_lookups(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    upgrade(url)
    _rows(
        url,
        [
            _user(1, "owner"),
            _user(2, "other"),
            _user(3, None, owner_id=1),
            _session(10, 1, "key-of-ten"),
            _session(11, 1, "key-of-eleven", friendly_url="key-of-ten"),
            _session(12, 1, "key-of-twelve", deleted_at=NOW),
            _session(13, 2, "key-of-thirteen", friendly_url="shared"),
            insert(invitations).values(
                session_id=10, user_id=3, role=3, token="tok", created_at=NOW, updated_at=NOW
            ),
            insert(invitations).values(
                session_id=12, user_id=3, role=1, token="gone", created_at=NOW, updated_at=NOW
            ),
        ],
    )
    by_key = queries.meeting_by_key
    # A friendly URL wins over another session's key; the key still finds its own session.
    assert _lookup(url, by_key, username="owner", key="key-of-ten").topic == "Topic 11"
    assert _lookup(url, by_key, username="owner", key="key-of-eleven").topic == "Topic 11"
    assert _lookup(url, by_key, username="owner", key="key-of-twelve") is None
    assert _lookup(url, by_key, username="owner", key="shared") is None
    assert _lookup(url, by_key, username="other", key="shared").topic == "Topic 13"
    meeting = _lookup(url, by_key, username="other", key="key-of-thirteen")
    assert (meeting.timezone, meeting.dst, meeting.password) == ("UP1", True, None)

    by_token = queries.invitation_by_token
    invitation = _lookup(url, by_token, username="owner", key="tok")
    assert (invitation.name, invitation.role, invitation.meeting.topic) == (
        "First Last3",
        3,
        "Topic 10",
    )
    assert _lookup(url, by_token, username="other", key="tok") is None
    assert _lookup(url, by_token, username="owner", key="gone") is None
    assert _lookup(url, by_token, username="owner", key="") is None
