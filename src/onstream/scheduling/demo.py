"""The demo account of `onstream serve --demo`, and its meeting that is open at once.

Created only in a database without any account, so a demo never gives a known login to a
server already in use. The services are imported inside the functions: `serve --workers N`'s
supervisor reads the names below to print the demo's links, and must not load the database
layer for that (see `onstream.server.supervisor`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onstream.storage.database import Connection

DEMO_LOGIN = "demo"
DEMO_MEETING = "demo-meeting"
"""The demo meeting's friendly URL: `/demo/demo-meeting`."""


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """What the person who started the demo needs: the password and the meeting's host key."""

    password: str
    host_key: str


async def create_demo_account(conn: Connection) -> DemoAccount | None:
    """Create the demo account and its meeting when the database has no account; None when
    it has one."""
    from onstream.users import repository, service
    from onstream.users.passwords import generate_password

    if await repository.count_accounts(conn) > 0:
        return None
    password = generate_password()
    await service.add_account(conn, login=DEMO_LOGIN, email="demo@example.com", password=password)
    return DemoAccount(password, await create_demo_meeting(conn))


async def create_demo_meeting(conn: Connection) -> str:
    """A session of the demo account that starts now, so its room is open at once; its host
    key."""
    from onstream.clock import utcnow
    from onstream.sessions import service as sessions
    from onstream.sessions.models import SessionInput
    from onstream.users import repository

    owner = await repository.account_by_login(conn, DEMO_LOGIN)
    assert owner is not None  # created just before, in this transaction
    start = f"{utcnow():%Y-%m-%d %H:%M:%S}"
    data = SessionInput(
        topic="Demo meeting",
        start_time=start,
        duration=120,
        timezone="UTC",
        friendly_url=DEMO_MEETING,
    )
    session = await sessions.get(conn, owner, await sessions.create(conn, owner, data))
    return session.host_key
