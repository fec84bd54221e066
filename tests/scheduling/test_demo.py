"""The demo meeting at each start of `serve --demo`: made with the demo account, left alone
while open, moved to start now once it ended, made again when it was deleted."""

from __future__ import annotations

from datetime import timedelta

from tests.support.server import Server

from onstream.clock import utcnow
from onstream.scheduling.demo import DEMO_LOGIN, DEMO_MEETING, open_demo_meeting
from onstream.sessions import repository as sessions
from onstream.sessions.models import Session
from onstream.storage.database import Connection
from onstream.users import repository as users
from onstream.users import service

HOURS = {"opens_minutes": 15, "grace_minutes": 30}


async def demo_meeting(conn: Connection) -> Session | None:
    owner = await users.account_by_login(conn, DEMO_LOGIN)
    assert owner is not None
    return await sessions.live_by_friendly_url(conn, owner_id=owner.id, friendly_url=DEMO_MEETING)


def test_the_demo_meeting_is_reopened_moved_or_made_again(server: Server) -> None:
    assert server.run(lambda conn: open_demo_meeting(conn, **HOURS)) is None  # no demo account
    server.run(
        lambda conn: service.add_account(
            conn, login=DEMO_LOGIN, email="demo@example.com", password="demo-password-1"
        )
    )
    made = server.run(lambda conn: open_demo_meeting(conn, **HOURS))  # none yet: made
    meeting = server.run(demo_meeting)
    assert meeting is not None
    assert made == meeting.host_key
    assert abs(meeting.start_utc - utcnow()) < timedelta(minutes=1)

    assert server.run(lambda conn: open_demo_meeting(conn, **HOURS)) == made
    assert server.run(demo_meeting) == meeting  # open: left as it is

    yesterday = {"start_utc": utcnow() - timedelta(days=1)}
    server.run(lambda conn: sessions.update_session(conn, meeting.id, yesterday))
    assert server.run(lambda conn: open_demo_meeting(conn, **HOURS)) == made
    moved = server.run(demo_meeting)
    assert moved is not None
    assert moved.id == meeting.id  # the same session, not a new one
    assert abs(moved.start_utc - utcnow()) < timedelta(minutes=1)

    gone = {"session_id": moved.id, "owner_id": moved.owner_id, "now": utcnow(), "sequence": 9}
    server.run(lambda conn: sessions.mark_deleted(conn, **gone))
    again = server.run(lambda conn: open_demo_meeting(conn, **HOURS))
    remade = server.run(demo_meeting)
    assert remade is not None
    assert remade.id != meeting.id
    assert again == remade.host_key
