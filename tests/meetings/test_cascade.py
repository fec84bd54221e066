"""Where an observer watches from when a room's audience spreads over several Janus servers:
the rule alone, then against a real database (SQLite, and PostgreSQL in the second pass),
where each placement counts as a server's viewer until the viewer is gone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from tests.meetings.test_presence import an_account

from onstream.clock import utcnow, utcnow_exact
from onstream.meetings import cascade, presence, repository, rules, service
from onstream.meetings.cascade import viewer_server
from onstream.storage.database import Database, open_database, transaction

A, B, C = "http://a:8088/janus", "http://b:8088/janus", "http://c:8088/janus"


def test_observers_stay_on_the_rooms_server_until_it_holds_its_share() -> None:
    assert viewer_server(7, room_server=A, live=[A, B], viewers={A: 299}, per_janus=300) == A
    assert viewer_server(7, room_server=A, live=[A, B], viewers={A: 300}, per_janus=300) == B
    # one server alone keeps everybody, however many
    assert viewer_server(7, room_server=A, live=[A], viewers={A: 900}, per_janus=300) == A


def test_beyond_it_the_least_loaded_server_takes_the_next_observer() -> None:
    viewers = {A: 300, B: 120, C: 40}
    assert viewer_server(7, room_server=A, live=[A, B, C], viewers=viewers, per_janus=300) == C
    # when every other server serves more than the room's own, it stays there
    viewers = {A: 300, B: 310, C: 305}
    assert viewer_server(7, room_server=A, live=[A, B, C], viewers=viewers, per_janus=300) == A
    # a server that is down is never chosen; the room's own down sends everybody elsewhere
    assert (
        viewer_server(7, room_server=A, live=[A, B], viewers={A: 300, B: 500}, per_janus=300) == A
    )
    assert viewer_server(7, room_server=A, live=[B, C], viewers={B: 9, C: 3}, per_janus=300) == C


def test_ties_are_broken_alike_by_every_process_and_differ_between_sessions() -> None:
    chosen = {
        viewer_server(session, room_server=A, live=order, viewers={A: 5}, per_janus=0)
        for session in range(40)
        for order in ([A, B, C], [C, B, A])
    }
    assert chosen == {B, C}  # spread over the other servers by session...
    for session in range(40):  # ...and the same whatever order a process lists them in
        first = viewer_server(session, room_server=A, live=[A, B, C], viewers={}, per_janus=0)
        again = viewer_server(session, room_server=A, live=[C, A, B], viewers={}, per_janus=0)
        assert first == again != A


@dataclass
class Room:
    database: Database
    session_id: int


@pytest.fixture
async def room(migrated_url: str) -> AsyncIterator[Room]:
    database = open_database(migrated_url)
    _, _, session_id = await an_account(database, "vera")  # its room is on "http://janus"
    yield Room(database, session_id)
    await database.dispose()


async def observers(room: Room, count: int) -> list[tuple[int, int]]:
    """Let `count` observers in: their (admission id, Janus id)."""
    async with transaction(room.database, write=True) as conn:
        for n in range(count):
            await service.admit(
                conn,
                session_id=room.session_id,
                role=rules.OBSERVER,
                name=f"Viewer {n}",
                source="public",
                now=utcnow(),
            )
        admitted = await repository.admitted(conn, room.session_id)
    return [(a.id, a.participant) for a in admitted]


ROOM, OTHER = "http://janus", "http://other"


async def place(room: Room, admission_id: int, *, per_janus: int, seconds: float = 0) -> str:
    async with transaction(room.database, write=True) as conn:
        return await cascade.place(
            conn,
            admission_id=admission_id,
            session_id=room.session_id,
            room_server=ROOM,
            live=[ROOM, OTHER],
            per_janus=per_janus,
            now=utcnow() + timedelta(seconds=seconds),
        )


@pytest.mark.anyio
async def test_placed_viewers_count_until_they_are_gone(room: Room) -> None:
    people = await observers(room, 5)
    placed = [await place(room, admission, per_janus=2) for admission, _ in people]
    # two on the room's server, then on the other one while it serves no more than the room's
    assert placed == [ROOM, ROOM, OTHER, OTHER, OTHER]
    async with transaction(room.database, write=False) as conn:
        since = utcnow() - timedelta(seconds=cascade.PLACED_SECONDS)
        assert await repository.viewers_per_server(conn, since=since) == {
            ROOM: placed.count(ROOM),
            OTHER: placed.count(OTHER),
        }
        assert await cascade.relayed_to(conn, room.session_id, ROOM, now=utcnow()) == {OTHER}

    # placed long ago: only those Janus lists in the room (an open stay) still count
    later = cascade.PLACED_SECONDS + 10
    watching = {participant for _, participant in people[:1]}
    async with transaction(room.database, write=True) as conn:
        await presence.record_listing(
            conn, session_id=room.session_id, present=watching, listed_at=utcnow_exact()
        )
    async with transaction(room.database, write=False) as conn:
        since = utcnow() + timedelta(seconds=later - cascade.PLACED_SECONDS)
        assert await repository.viewers_per_server(conn, since=since) == {ROOM: 1}
        now = utcnow() + timedelta(seconds=later)
        assert await cascade.relayed_to(conn, room.session_id, ROOM, now=now) == set()
    # a viewer placed again is counted once, where they are now
    assert await place(room, people[0][0], per_janus=0, seconds=later) == OTHER
    async with transaction(room.database, write=False) as conn:
        since = utcnow() + timedelta(seconds=later - cascade.PLACED_SECONDS)
        assert await repository.viewers_per_server(conn, since=since) == {OTHER: 1}
