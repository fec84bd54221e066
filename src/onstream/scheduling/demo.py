"""The demo account of `onstream serve --demo`, and its meeting that is open at once.

Created only in a database without any account, so a demo never gives a known login to a
server already in use. Every later start finds the demo meeting again and, once it ended,
moves it to start now (`open_demo_meeting`), so each start prints links that work. The
services are imported inside the functions: `serve --workers N`'s supervisor reads the
names below to print the demo's links, and must not load the database layer for that (see
`onstream.server.supervisor`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onstream.storage.database import Connection

DEMO_LOGIN = "demo"
DEMO_MEETING = "demo-meeting"
"""The demo meeting's friendly URL: `/demo/demo-meeting`."""
DEMO_MINUTES = 120
"""The demo meeting's length from when a start opens it."""


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


async def open_demo_meeting(
    conn: Connection, *, opens_minutes: int, grace_minutes: int
) -> str | None:
    """The host key of the demo account's meeting, open now: as it is while its room is
    open or not open yet; moved to start now (the same session, with a new room) once it
    ended; made again when it was deleted. None when there is no demo account."""
    from onstream.clock import utcnow
    from onstream.meetings import repository as rooms
    from onstream.meetings import rules
    from onstream.meetings.models import Phase
    from onstream.sessions import repository as sessions
    from onstream.sessions import service
    from onstream.sessions.models import SessionInput
    from onstream.users import repository

    owner = await repository.account_by_login(conn, DEMO_LOGIN)
    if owner is None:
        return None
    meeting = await sessions.live_by_friendly_url(
        conn, owner_id=owner.id, friendly_url=DEMO_MEETING
    )
    if meeting is None:
        return await create_demo_meeting(conn)
    ended = meeting.id in await rooms.ended_among(conn, [meeting.id])
    phase = rules.phase(
        utcnow(),
        start_utc=meeting.start_utc,
        duration=meeting.duration,
        opens_minutes=opens_minutes,
        grace_minutes=grace_minutes,
        ended=ended,
    )
    if phase is Phase.ENDED:
        now = f"{utcnow():%Y-%m-%d %H:%M:%S}"
        data = SessionInput(start_time=now, timezone="UTC", duration=DEMO_MINUTES)
        await service.update(conn, owner, meeting.id, data)
        await rooms.delete_ended_room(conn, meeting.id)
    return meeting.host_key


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
        duration=DEMO_MINUTES,
        timezone="UTC",
        friendly_url=DEMO_MEETING,
    )
    session = await sessions.get(conn, owner, await sessions.create(conn, owner, data))
    return session.host_key
