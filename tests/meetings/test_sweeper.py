"""The sweeper against a real Janus and database: rooms whose time is up close in Janus,
their recording is queued, and expired join tokens leave the room's allowed list."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from tests.janus.peer import Peer
from tests.support.waiting import wait_until_async

from onstream.clock import utcnow
from onstream.config import Settings
from onstream.janus import JanusAdmin, JanusProcess
from onstream.meetings import jobs, repository, service
from onstream.meetings.changes import RoomChanges
from onstream.meetings.engine import JanusRooms
from onstream.meetings.sweeper import RoomSweeper
from onstream.services import Recording
from onstream.sessions import service as sessions
from onstream.sessions.models import SessionInput
from onstream.storage.database import Database, open_database, transaction
from onstream.storage.migrate import upgrade
from onstream.users import repository as users
from onstream.users.service import add_account
from onstream.webhooks import repository as deliveries
from onstream.webhooks import service as webhooks
from onstream.webhooks.models import WebhookInput

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JanusProcess]:
    process = JanusProcess(tmp_path_factory.mktemp("janus")).start()
    yield process
    process.stop()


@pytest.fixture
def settings(tmp_path: Path, new_database: Callable[[Path], str], janus: JanusProcess) -> Settings:
    url = new_database(tmp_path)
    upgrade(url)
    return Settings(
        database_url=url,
        janus_urls=janus.url,
        janus_admin_key=janus.admin_key,
        recordings_dir=str(tmp_path / "recordings"),
    )


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = open_database(settings.database_url)
    yield database
    await database.dispose()


async def a_session(database: Database, *, started_minutes_ago: int) -> int:
    start = utcnow() - timedelta(minutes=started_minutes_ago)
    async with transaction(database, write=True) as conn:
        await add_account(conn, login="sam", email="sam@example.com", password="sam-pass-1")
        owner = await users.account_by_login(conn, "sam")
        assert owner is not None
        data = SessionInput(
            topic="Swept", duration=30, start_time=f"{start:%Y-%m-%d %H:%M:%S}", timezone="UTC"
        )
        return await sessions.create(conn, owner, data)


async def test_a_room_past_its_grace_closes_in_janus_and_queues_its_recording(
    settings: Settings, database: Database, janus: JanusProcess
) -> None:
    session_id = await a_session(database, started_minutes_ago=90)
    rooms = JanusRooms(settings)
    async with transaction(database, write=True) as conn:
        room = await service.open_room(
            conn, session_id=session_id, server=janus.url, auto_record=True, now=utcnow()
        )
    rec_dir = service.recording_dir(settings.recordings_root, room)
    await rooms.open(room.handle, record=True, rec_dir=rec_dir, description="Swept")
    async with JanusAdmin(janus.url, admin_key=janus.admin_key) as admin:
        assert await admin.exists(room.janus_room)
        await RoomSweeper(database=database, rooms=rooms, settings=settings).sweep()
        assert not await admin.exists(room.janus_room)
        assert not await admin.textroom_exists(room.janus_room)
    async with transaction(database, write=False) as conn:
        closed = await repository.room_of(conn, session_id)
        queued = await jobs.list_jobs(conn)
    assert closed is not None
    assert closed.end_reason == "schedule"
    assert [job.source_dir for job in queued] == [str(rec_dir)]
    await rooms.aclose()


async def test_expired_tokens_leave_the_allowed_list_and_open_rooms_stay(
    settings: Settings, database: Database, janus: JanusProcess
) -> None:
    session_id = await a_session(database, started_minutes_ago=5)
    rooms = JanusRooms(replace(settings, room_grace_minutes=30))
    now = utcnow()
    async with transaction(database, write=True) as conn:
        room = await service.open_room(
            conn, session_id=session_id, server=janus.url, auto_record=False, now=now
        )
        secret = await service.admit(
            conn, session_id=session_id, role=2, name="Tia", source="public", now=now
        )
        admission = await repository.admission_by_secret(conn, login="sam", secret=secret)
        assert admission is not None
        stale = await service.mint_token(conn, admission, lifetime_seconds=-1, now=now)
        fresh = await service.mint_token(conn, admission, lifetime_seconds=600, now=now)
    rec_dir = service.recording_dir(settings.recordings_root, room)
    await rooms.open(room.handle, record=False, rec_dir=rec_dir, description="Swept")
    await rooms.allow(room.handle, stale)
    await rooms.allow(room.handle, fresh)
    await RoomSweeper(database=database, rooms=rooms, settings=settings).sweep()
    async with JanusAdmin(janus.url, admin_key=janus.admin_key) as admin:
        allowed = await admin.allowed(room.janus_room, room.secret, "add", [])
        assert await admin.exists(room.janus_room)
    assert fresh in allowed
    assert stale not in allowed
    await rooms.close(room.handle)
    await rooms.aclose()


async def told(database: Database, session_id: int) -> list[tuple[str, str]]:
    """(event, name) of the participant events queued for the session's owner."""
    async with transaction(database, write=False) as conn:
        owner = await users.account_by_login(conn, "sam")
        assert owner is not None
        rows = await deliveries.deliveries_page(
            conn,
            account_id=owner.id,
            webhook_id=None,
            status=None,
            count=100,
            offset=0,
            descending=False,
        )
    found = [json.loads(row["body"]) for row in rows]
    return [
        (e["type"], e["data"]["name"])
        for e in found
        if e["type"].startswith("participant.") and e["data"]["session_id"] == session_id
    ]


async def sweeps_until(
    sweeper: RoomSweeper,
    found: Callable[[], Awaitable[list[tuple[str, str]]]],
    expected: list[tuple[str, str]],
    bound: float = 30,
) -> None:
    """Sweep, as the server does every few seconds, until `found()` is `expected`."""
    now: list[tuple[str, str]] = []

    async def swept() -> bool:
        nonlocal now
        await sweeper.sweep()
        now = await found()
        return now == expected

    try:
        await wait_until_async(swept, f"the sweeps to find {expected}", bound)
    except AssertionError as timeout:
        raise AssertionError(f"{timeout}; still {now}") from None


async def test_who_janus_lists_in_a_room_is_told_as_joining_and_leaving(
    settings: Settings, database: Database, janus: JanusProcess
) -> None:
    session_id = await a_session(database, started_minutes_ago=5)
    rooms = JanusRooms(settings)
    sweeper = RoomSweeper(database=database, rooms=rooms, settings=settings)
    now = utcnow()
    async with transaction(database, write=True) as conn:
        owner = await users.account_by_login(conn, "sam")
        assert owner is not None
        hook = WebhookInput(url="http://127.0.0.1:9/", events="participant.joined;participant.left")
        await webhooks.add(conn, owner, hook)
        room = await service.open_room(
            conn, session_id=session_id, server=janus.url, auto_record=False, now=now
        )
        secret = await service.admit(
            conn, session_id=session_id, role=2, name="Uma", source="public", now=now
        )
        admission = await repository.admission_by_secret(conn, login="sam", secret=secret)
        assert admission is not None
        token = await service.mint_token(conn, admission, lifetime_seconds=600, now=now)
    await sweeper.sweep()  # the room is not in Janus yet: nobody is in it, no error
    rec_dir = service.recording_dir(settings.recordings_root, room)
    await rooms.open(room.handle, record=False, rec_dir=rec_dir, description="Swept")
    await rooms.allow(room.handle, token)
    join = {"request": "join", "ptype": "publisher", "room": room.janus_room}
    join |= {"id": admission.participant, "display": "Uma", "token": token}
    joined = [("participant.joined", "Uma")]
    async with Peer(janus.url) as uma:
        assert (await uma.ask(join))["videoroom"] == "joined"
        await sweeps_until(sweeper, lambda: told(database, session_id), joined)
        await sweeper.sweep()  # she is still there: nothing more to tell
        assert await told(database, session_id) == joined
    # her Janus session is gone, and she with it
    left = [*joined, ("participant.left", "Uma")]
    await sweeps_until(sweeper, lambda: told(database, session_id), left)
    await rooms.close(room.handle)
    await rooms.aclose()


async def test_a_change_janus_did_not_take_is_applied_by_the_next_sweep(
    settings: Settings, database: Database, janus: JanusProcess
) -> None:
    session_id = await a_session(database, started_minutes_ago=5)
    rooms = JanusRooms(replace(settings, room_grace_minutes=30))
    changes = RoomChanges(rooms)
    sweeper = RoomSweeper(database=database, rooms=rooms, settings=settings, changes=changes)
    async with transaction(database, write=True) as conn:
        room = await service.open_room(
            conn, session_id=session_id, server=janus.url, auto_record=False, now=utcnow()
        )
    # the moderator's "record" committed while Janus had lost the room (a restart)
    assert not await changes.apply(Recording(room.handle, on=True))
    assert changes.kept == [Recording(room.handle, on=True)]
    rec_dir = service.recording_dir(settings.recordings_root, room)
    await rooms.open(room.handle, record=False, rec_dir=rec_dir, description="Swept")
    await sweeper.sweep()
    async with JanusAdmin(janus.url, admin_key=janus.admin_key) as admin:
        listed = {entry["room"]: entry for entry in await admin.list_rooms()}
    assert listed[room.janus_room]["record"] is True
    assert changes.kept == []
    await rooms.close(room.handle)
    await rooms.aclose()
