"""Who is in a room, against a real database (SQLite, and PostgreSQL in the second pass):
each join and each leave Janus's lists show is told once, whatever the number of processes
applying them; ending the room or removing someone tells the leave at once; nobody else's
webhooks hear of it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from onstream.accounts import Account
from onstream.clock import utcnow, utcnow_exact
from onstream.meetings import presence, repository, rules, service
from onstream.sessions import service as sessions
from onstream.sessions.models import SessionInput
from onstream.storage.database import Database, open_database, transaction
from onstream.users import repository as users
from onstream.users.service import add_account
from onstream.webhooks import repository as deliveries
from onstream.webhooks import service as webhooks
from onstream.webhooks.models import WebhookInput

pytestmark = pytest.mark.anyio

EVENTS = "meeting.started;meeting.ended;participant.joined;participant.left"


@dataclass
class World:
    database: Database
    owner: Account
    hook_id: int
    session_id: int
    ana: int
    ben: int
    """Janus ids of two people let in: Ana a moderator, Ben an observer."""


async def an_account(database: Database, login: str) -> tuple[Account, int, int]:
    """An account with a webhook on every meeting event, and a session whose room is open."""
    async with transaction(database, write=True) as conn:
        await add_account(conn, login=login, email=f"{login}@example.com", password="pass-word-1")
        owner = await users.account_by_login(conn, login)
        assert owner is not None
        hook = WebhookInput(url="http://127.0.0.1:9/", events=EVENTS)
        hook_id, _ = await webhooks.add(conn, owner, hook)
        data = SessionInput(topic="Present", duration=30, start_time="2030-01-15 10:00:00")
        session_id = await sessions.create(conn, owner, data)
        await service.open_room(
            conn, session_id=session_id, server="http://janus", auto_record=False, now=utcnow()
        )
    return owner, hook_id, session_id


async def let_in(database: Database, session_id: int, name: str, role: int) -> int:
    async with transaction(database, write=True) as conn:
        await service.admit(
            conn, session_id=session_id, role=role, name=name, source="public", now=utcnow()
        )
        admitted = await repository.admitted(conn, session_id)
    return next(a.participant for a in admitted if a.name == name)


@pytest.fixture
async def world(migrated_url: str) -> AsyncIterator[World]:
    database = open_database(migrated_url)
    owner, hook_id, session_id = await an_account(database, "rita")
    ana = await let_in(database, session_id, "Ana", rules.MODERATOR)
    ben = await let_in(database, session_id, "Ben", rules.OBSERVER)
    yield World(database, owner, hook_id, session_id, ana, ben)
    await database.dispose()


async def listing(
    database: Database, session_id: int, present: set[int], at: datetime | None = None
) -> None:
    async with transaction(database, write=True) as conn:
        await presence.record_listing(
            conn, session_id=session_id, present=present, listed_at=at or utcnow_exact()
        )


async def events(database: Database, account_id: int, hook_id: int) -> list[dict[str, Any]]:
    """The account's queued events, oldest first, as a receiver will get them."""
    async with transaction(database, write=False) as conn:
        rows = await deliveries.deliveries_page(
            conn,
            account_id=account_id,
            webhook_id=hook_id,
            status=None,
            count=100,
            offset=0,
            descending=False,
        )
    return [json.loads(row["body"]) for row in rows]


def told(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(event, name) of the participant events."""
    return [(e["type"], e["data"]["name"]) for e in found if e["type"].startswith("participant.")]


async def test_each_join_and_leave_is_told_once(world: World) -> None:
    db, sid = world.database, world.session_id
    await listing(db, sid, {world.ana})
    await listing(db, sid, {world.ana})
    await listing(db, sid, {world.ana, world.ben})
    await listing(db, sid, {world.ben})
    await listing(db, sid, {world.ben})
    await listing(db, sid, {world.ana, world.ben})  # Ana comes back: a second stay
    found = await events(db, world.owner.id, world.hook_id)
    assert told(found) == [
        ("participant.joined", "Ana"),
        ("participant.joined", "Ben"),
        ("participant.left", "Ana"),
        ("participant.joined", "Ana"),
    ]
    joined, left = found[1], found[3]
    assert joined["account"] == "rita"
    assert joined["data"] == {
        "session_id": sid,
        "participant": world.ana,
        "name": "Ana",
        "role": "moderator",
        "joined_at": joined["data"]["joined_at"],
        "left_at": None,
    }
    assert left["data"]["joined_at"] == joined["data"]["joined_at"]
    assert left["data"]["left_at"] >= left["data"]["joined_at"]
    assert found[2]["data"]["role"] == "observer"


async def test_ids_nobody_was_let_in_with_are_not_told(world: World) -> None:
    await listing(world.database, world.session_id, {world.ana + 1, 12345})
    assert told(await events(world.database, world.owner.id, world.hook_id)) == []


async def test_an_older_list_never_undoes_a_newer_one(world: World) -> None:
    db, sid, now = world.database, world.session_id, utcnow()
    await listing(db, sid, {world.ana}, now)
    await listing(db, sid, set(), now + timedelta(seconds=5))
    await listing(db, sid, {world.ana}, now + timedelta(seconds=3))  # a slow process's list
    await listing(db, sid, {world.ana}, now + timedelta(seconds=5))  # the same moment again
    assert told(await events(db, world.owner.id, world.hook_id)) == [
        ("participant.joined", "Ana"),
        ("participant.left", "Ana"),
    ]


async def test_several_processes_applying_the_same_lists_tell_each_change_once(
    world: World, migrated_url: str
) -> None:
    others = [open_database(migrated_url) for _ in range(3)]
    try:
        sid, start = world.session_id, utcnow()
        rounds = [{world.ana}, {world.ana, world.ben}, {world.ben}, set(), {world.ana}]
        for n, present in enumerate(rounds):
            at = start + timedelta(seconds=n)
            # every process saw the same room at about the same time, and all write at once
            await asyncio.gather(
                *(
                    listing(db, sid, present, at + timedelta(milliseconds=k))
                    for k, db in enumerate(others)
                )
            )
        assert told(await events(world.database, world.owner.id, world.hook_id)) == [
            ("participant.joined", "Ana"),
            ("participant.joined", "Ben"),
            ("participant.left", "Ana"),
            ("participant.left", "Ben"),
            ("participant.joined", "Ana"),
        ]
    finally:
        for db in others:
            await db.dispose()


async def test_ending_the_room_lets_everybody_out_before_meeting_ended(
    world: World, tmp_path: Path
) -> None:
    db, sid = world.database, world.session_id
    await listing(db, sid, {world.ana, world.ben})
    async with transaction(db, write=True) as conn:
        await service.end_room(
            conn, session_id=sid, reason="moderator", now=utcnow(), recordings_root=tmp_path
        )
    await listing(db, sid, {world.ana, world.ben})  # Janus not told yet: changes nothing
    found = await events(db, world.owner.id, world.hook_id)
    assert [e["type"] for e in found] == [
        "meeting.started",
        "participant.joined",
        "participant.joined",
        "participant.left",
        "participant.left",
        "meeting.ended",
    ]
    ended = found[-1]["data"]["ended_at"]
    assert {e["data"]["left_at"] for e in found[3:5]} == {ended}
    assert {e["data"]["name"] for e in found[3:5]} == {"Ana", "Ben"}


async def test_someone_removed_leaves_at_once_and_is_not_seen_again(world: World) -> None:
    db, sid = world.database, world.session_id
    await listing(db, sid, {world.ana, world.ben})
    async with transaction(db, write=True) as conn:
        ejection = await service.eject(conn, session_id=sid, now=utcnow(), participant=world.ben)
    assert ejection is not None
    assert ejection.participants == [world.ben]
    await listing(db, sid, {world.ana, world.ben})  # still in Janus until the kick lands
    await listing(db, sid, {world.ana})
    assert told(await events(db, world.owner.id, world.hook_id)) == [
        ("participant.joined", "Ana"),
        ("participant.joined", "Ben"),
        ("participant.left", "Ben"),
    ]


async def test_one_account_never_hears_of_another_accounts_room(world: World) -> None:
    db = world.database
    other, other_hook, other_session = await an_account(db, "otto")
    guest = await let_in(db, other_session, "Gus", rules.PARTICIPANT)
    await listing(db, other_session, {guest})
    await listing(db, world.session_id, {world.ana})
    mine = await events(db, world.owner.id, world.hook_id)
    theirs = await events(db, other.id, other_hook)
    assert told(mine) == [("participant.joined", "Ana")]
    assert told(theirs) == [("participant.joined", "Gus")]
    assert {e["account"] for e in theirs} == {"otto"}
    assert {e["data"]["session_id"] for e in theirs} == {other_session}
