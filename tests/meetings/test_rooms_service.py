"""The room's rules against a real database (SQLite, and PostgreSQL in the second pass):
one room per session whatever races, admissions revoked exactly as the changes say."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from onstream.clock import utcnow
from onstream.config import Settings, SettingsError, load_settings
from onstream.errors import Invalid
from onstream.janus import JanusAdmin, JanusProcess
from onstream.meetings import jobs, repository, rules, service
from onstream.meetings.engine import JanusRooms, ice_servers
from onstream.meetings.models import Phase
from onstream.services import Ejection, Mute, Recording, RoomChange, RoomHandle
from onstream.sessions import service as sessions
from onstream.sessions.models import SessionInput
from onstream.storage.database import Database, open_database, transaction
from onstream.users import repository as users
from onstream.users.service import add_account

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(migrated_url: str) -> AsyncIterator[tuple[Database, int]]:
    database = open_database(migrated_url)
    async with transaction(database, write=True) as conn:
        await add_account(conn, login="rita", email="rita@example.com", password="rita-pass-1")
        owner = await users.account_by_login(conn, "rita")
        assert owner is not None
        data = SessionInput(topic="Rooms", duration=30, start_time="2030-01-15 10:00:00")
        session_id = await sessions.create(conn, owner, data)
    yield database, session_id
    await database.dispose()


async def test_concurrent_first_uses_get_one_room(world: tuple[Database, int]) -> None:
    database, session_id = world

    async def open_it(server: str) -> int:
        async with transaction(database, write=True) as conn:
            room = await service.open_room(
                conn, session_id=session_id, server=server, auto_record=False, now=utcnow()
            )
        return room.janus_room

    numbers = await asyncio.gather(*(open_it(f"http://janus{i}/janus") for i in range(6)))
    assert len(set(numbers)) == 1


async def test_ending_revokes_everybody_and_queues_the_recording(
    world: tuple[Database, int], tmp_path: Path
) -> None:
    database, session_id = world
    now = utcnow()
    async with transaction(database, write=True) as conn:
        room = await service.open_room(
            conn, session_id=session_id, server="http://j/janus", auto_record=True, now=now
        )
        public = await service.admit(
            conn, session_id=session_id, role=2, name="Pat", source="public", now=now
        )
        invited = await service.admit(
            conn, session_id=session_id, role=2, name="Ida", source="invitation",
            invitation_token="tok", now=now,
        )  # fmt: skip
        admission = await repository.admission_by_secret(conn, login="rita", secret=public)
        assert admission is not None
        await service.mint_token(conn, admission, lifetime_seconds=60, now=now)
        ejection = await service.eject(conn, session_id=session_id, now=now, source="public")
    assert ejection is not None
    assert ejection.participants == [admission.participant]
    assert len(ejection.tokens) == 1
    async with transaction(database, write=True) as conn:
        gone = await repository.admission_by_secret(conn, login="rita", secret=public)
        kept = await repository.admission_by_secret(conn, login="rita", secret=invited)
        assert gone is not None
        assert gone.revoked
        assert kept is not None
        assert not kept.revoked
        ended = await service.end_room(
            conn, session_id=session_id, reason="moderator", now=now, recordings_root=tmp_path
        )
        again = await service.end_room(
            conn, session_id=session_id, reason="moderator", now=now, recordings_root=tmp_path
        )
        queued = await jobs.list_jobs(conn)
        kept = await repository.admission_by_secret(conn, login="rita", secret=invited)
    assert ended is not None
    assert ended.close
    assert ended.room == room.handle
    assert again is None
    assert [job.source_dir for job in queued] == [str(service.recording_dir(tmp_path, room))]
    assert kept is not None
    assert kept.revoked


async def test_a_moderators_actions_are_written_and_told_as_room_changes(
    world: tuple[Database, int], tmp_path: Path
) -> None:
    database, session_id = world
    now = utcnow()

    async def moderate(action: str, **fields: object) -> RoomChange | None:
        async with transaction(database, write=True) as conn:
            return await service.moderate(
                conn,
                service.Moderation(action, **fields),  # type: ignore[arg-type]
                session_id=session_id,
                now=now,
                recordings_root=tmp_path,
            )

    with pytest.raises(service.MeetingEnded):
        await moderate("record", on=True)  # no room yet
    async with transaction(database, write=True) as conn:
        room = await service.open_room(
            conn, session_id=session_id, server="http://j/janus", auto_record=False, now=now
        )
        secret = await service.admit(
            conn, session_id=session_id, role=2, name="Pat", source="public", now=now
        )
        pat = await repository.admission_by_secret(conn, login="rita", secret=secret)
    assert pat is not None
    assert await moderate("record", on=True) == Recording(room.handle, on=True)
    assert await moderate("mute", participant=pat.participant, kind="video") == Mute(
        room.handle, pat.participant, mid="1", mute=True
    )
    with pytest.raises(Invalid, match="kind is audio or video"):
        await moderate("unmute", participant=pat.participant, kind="screen")
    # the page names the real audio stream: "1" for who joined with the camera only
    assert await moderate("mute", participant=pat.participant, mid="1") == Mute(
        room.handle, pat.participant, mid="1", mute=True
    )
    for wrong in ("", "a", "-1", "1234", 1):
        with pytest.raises(Invalid, match="mid is the number"):
            await moderate("mute", participant=pat.participant, mid=wrong)
    with pytest.raises(Invalid, match="Say which participant"):
        await moderate("remove")
    removed = await moderate("remove", participant=pat.participant)
    assert removed == Ejection(room.handle, participants=[pat.participant])
    ended = await moderate("end")
    assert ended == Ejection(room.handle, close=True)
    assert await moderate("end") is None, "ending an ended meeting is fine"
    with pytest.raises(service.MeetingEnded):
        await moderate("mute", participant=pat.participant)
    async with transaction(database, write=False) as conn:
        after = await repository.room_of(conn, session_id)
        queued = await jobs.list_jobs(conn)
        gone = await repository.admission_by_secret(conn, login="rita", secret=secret)
    assert after is not None
    assert after.recorded
    assert after.end_reason == "moderator"
    assert len(queued) == 1, "the recorded meeting's recording is queued"
    assert gone is not None
    assert gone.revoked


def test_the_room_opens_before_the_start_and_closes_after_the_grace() -> None:
    start = datetime(2030, 1, 15, 10, 0)

    def phase(at: datetime, *, ended: bool = False) -> Phase:
        return rules.phase(
            at, start_utc=start, duration=30, opens_minutes=15, grace_minutes=30, ended=ended
        )

    assert phase(start - timedelta(minutes=16)) is Phase.EARLY
    assert phase(start - timedelta(minutes=15)) is Phase.OPEN
    assert phase(start + timedelta(minutes=59)) is Phase.OPEN
    assert phase(start + timedelta(minutes=60)) is Phase.ENDED
    assert phase(start, ended=True) is Phase.ENDED


def test_rooms_spread_over_servers_by_a_stable_choice() -> None:
    servers = ("http://a/janus", "http://b/janus", "http://c/janus")
    chosen = [service.server_for(i, servers) for i in range(300)]
    assert set(chosen) == set(servers)
    assert chosen == [service.server_for(i, tuple(reversed(servers))) for i in range(300)]
    grown = [service.server_for(i, (*servers, "http://d/janus")) for i in range(300)]
    assert all(new in (old, "http://d/janus") for old, new in zip(chosen, grown, strict=True))


def test_browsers_use_the_public_url_or_the_relay() -> None:
    relayed = JanusRooms(
        Settings(janus_urls="http://10.0.0.5:8088/janus, http://10.0.0.6:8088/janus")
    )
    assert relayed.public_url("http://10.0.0.6:8088/janus", "/janus/1") == "/janus/1"
    assert relayed.relay_target(1) == "http://10.0.0.6:8088/janus"
    assert relayed.relay_target(2) is None
    public = JanusRooms(
        Settings(
            janus_urls="http://10.0.0.5:8088/janus", janus_public_url="https://j.example/janus"
        )
    )
    assert public.public_url("http://10.0.0.5:8088/janus", "/janus/0") == "https://j.example/janus"
    assert public.relay_target(0) is None  # a server with a public URL is not relayed
    assert not JanusRooms(Settings()).available


def test_ice_servers_from_urls_or_json() -> None:
    assert ice_servers(None) == []
    assert ice_servers("stun:s.example:3478, turn:t.example") == [
        {"urls": "stun:s.example:3478"},
        {"urls": "turn:t.example"},
    ]
    turn = '[{"urls": "turn:t.example:3478", "username": "u", "credential": "p"}]'
    assert ice_servers(turn) == [
        {"urls": "turn:t.example:3478", "username": "u", "credential": "p"}
    ]


async def test_a_room_takes_as_many_publishers_as_the_setting_says(tmp_path: Path) -> None:
    assert Settings().room_max_publishers == 100
    with JanusProcess(tmp_path / "janus") as janus:
        settings = Settings(
            janus_urls=janus.url, janus_admin_key=janus.admin_key, room_max_publishers=40
        )
        rooms = JanusRooms(settings)
        room = RoomHandle(server=janus.url, janus_room=4242, secret="s3cret-room")
        try:
            await rooms.open(room, record=False, rec_dir=tmp_path / "rec", description="Big")
        finally:
            await rooms.aclose()
        async with JanusAdmin(janus.url, admin_key=janus.admin_key) as admin:
            (listed,) = [r for r in await admin.list_rooms() if r["room"] == 4242]
    assert listed["max_publishers"] == 40
    assert listed["bitrate"] >= 2_000_000  # three simulcast layers fit under Janus's cap


@pytest.mark.parametrize("raw", ["0", "-3", "many"])
def test_a_room_size_or_video_count_below_one_is_refused(raw: str) -> None:
    for variable in ("ONSTREAM_ROOM_MAX_PUBLISHERS", "ONSTREAM_ROOM_LAST_N"):
        with pytest.raises(SettingsError, match=variable):
            load_settings({variable: raw}, env_file=None)
