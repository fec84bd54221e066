"""The rules for creating, changing, reading and deleting sessions. No HTTP here.

Functions run inside the caller's transaction and never commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.errors import Deleted, Invalid, Missing, Taken
from onstream.sessions import repository, rules
from onstream.sessions.models import Session, SessionInput
from onstream.storage.database import Connection
from onstream.storage.prepared import Row

ACCESS_CODE_TRIES = 20
T = TypeVar("T")


async def get(conn: Connection, owner: Account, session_id: int) -> Session:
    """A live session of this account; `Deleted` (410) or `Missing` (404) otherwise."""
    session = await repository.by_id(conn, owner_id=owner.id, session_id=session_id)
    if session is None:
        raise Missing(f"Session {session_id} does not exist")
    if session.deleted_at is not None:
        raise Deleted(f"Session {session_id} was deleted")
    return session


async def create(conn: Connection, owner: Account, data: SessionInput) -> int:
    """Create a session after checking every field; returns its id."""
    return (await insert(conn, owner, new_values(owner, data))).id


def new_values(owner: Account, data: SessionInput) -> dict[str, Any]:
    """Every column of a new session, checked, with nothing left to look up: what `insert`
    writes. Pure, so a request runs it before its write transaction takes the lock."""
    for name in ("topic", "duration", "start_time"):
        if getattr(data, name) is None:
            raise Invalid(f"{name} is required")
    values = _checked_values(owner, data, current=None)
    now = utcnow()
    values.update(
        owner_id=owner.id,
        session_key=secrets.token_urlsafe(16),
        host_key=secrets.token_urlsafe(16),
        created_at=now,
        updated_at=now,
    )
    return values


async def insert(conn: Connection, owner: Account, values: dict[str, Any]) -> Session:
    """Write a session made by `new_values` (with a dial-in code when the account has a
    phone bridge) and return it as a read would, without reading it back. The bridge flag is
    read in this transaction, not from the (cached) account: `onstream user phone-bridge`
    takes effect at once."""
    bridged = await repository.has_phone_bridge(conn, owner.id)
    values = {**values, "access_code": await _new_access_code(conn) if bridged else None}
    session_id = await _write(values, repository.insert_session(conn, values))
    return Session(
        id=session_id,
        owner_id=values["owner_id"],
        topic=values["topic"],
        start_utc=values["start_utc"],
        duration=values["duration"],
        timezone=values["timezone"],
        password=values.get("password"),
        friendly_url=values.get("friendly_url"),
        session_key=values["session_key"],
        access_code=values["access_code"],
        custom_data=values.get("custom_data"),
        sequence=0,
        created_at=values["created_at"],
        updated_at=values["updated_at"],
        deleted_at=None,
        auto_record=bool(values.get("auto_record", False)),
        host_key=values["host_key"],
        waiting_room=bool(values.get("waiting_room", False)),
    )


async def update(
    conn: Connection, owner: Account, session_id: int, data: SessionInput
) -> tuple[Session, bool]:
    """Change the given fields of a live session.

    Returns the session as it is now, and whether invitees must hear about it (its topic,
    time or duration changed; the calendar SEQUENCE rose).
    """
    session = await get(conn, owner, session_id)
    values = _checked_values(owner, data, current=session)
    if not values:
        return session, False
    moved = {"topic", "start_utc", "duration"} & values.keys()
    if moved:
        values["sequence"] = session.sequence + 1
    values["updated_at"] = utcnow()
    await _write(values, repository.update_session(conn, session.id, values))
    return await get(conn, owner, session_id), bool(moved)


async def delete(conn: Connection, owner: Account, session_id: int) -> Session:
    """Delete a live session; later calls on it answer 410. Returns it as it was, with the
    calendar SEQUENCE raised for the cancellation."""
    session = await get(conn, owner, session_id)
    await repository.mark_deleted(
        conn, session.id, owner_id=owner.id, now=utcnow(), sequence=session.sequence + 1
    )
    return replace(session, sequence=session.sequence + 1)


async def raise_sequence(conn: Connection, session: Session) -> Session:
    """The session with its calendar SEQUENCE raised (stored): for a cancellation sent to
    one invitee, so it outranks their invitation and any later message outranks it."""
    return replace(session, sequence=await repository.raise_sequence(conn, session.id))


async def page(
    conn: Connection,
    owner: Account,
    *,
    count: int,
    offset: int,
    descending: bool,
    columns: tuple[str, ...],
    total: int | None = None,
) -> list[Row]:
    """One page of the account's live sessions as rows of `columns` (`total`: what `total`
    answered, if asked)."""
    return await repository.page_rows(
        conn,
        owner_id=owner.id,
        count=count,
        offset=offset,
        descending=descending,
        total=total,
        columns=columns,
    )


async def total(conn: Connection, owner: Account) -> int:
    """How many live sessions the account has (what GET sessions pages through)."""
    return await repository.live_total(conn, owner_id=owner.id)


async def timeline(
    conn: Connection, owner: Account, *, upcoming: bool, count: int, offset: int
) -> tuple[list[Session], bool]:
    """One page of the account's live sessions that have not ended yet (earliest first) or
    that have (latest first), and whether more may follow.

    A session is upcoming until its end, so one in progress is listed (and can be started)
    with the upcoming ones. The query selects by start (`timeline_bounds`); the few sessions
    within its margin that already ended are moved in Python (`on_timeline`), so a page may
    hold a few fewer than `count`."""
    now = utcnow()
    since, before = timeline_bounds(upcoming=upcoming, now=now)
    found = await repository.by_start(
        conn, owner_id=owner.id, since=since, before=before, count=count, offset=offset
    )
    kept = [s for s in found if on_timeline(s, upcoming=upcoming, now=now)]
    return kept, len(found) == count


def planned_end(owner: Account, data: SessionInput, current: Session) -> datetime:
    """When `current` would end after the change `data` asks for, checked as the write
    checks it (`Invalid` on a bad field); nothing written."""
    values = _checked_values(owner, data, current=current)
    start = values.get("start_utc", current.start_utc)
    return rules.end_utc(start, values.get("duration", current.duration))


async def starting(
    conn: Connection,
    owner: Account,
    *,
    since: datetime | None,
    before: datetime | None,
    count: int,
    offset: int,
) -> tuple[list[Session], bool]:
    """One page of the account's live sessions starting in [since, before) (earliest first
    when `since` is given, else latest first), and whether more may follow: the account
    center sorts them into its lists by the meeting room's hours."""
    found = await repository.by_start(
        conn, owner_id=owner.id, since=since, before=before, count=count, offset=offset
    )
    return found, len(found) == count


def timeline_bounds(*, upcoming: bool, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(since, before) of the starts an upcoming or past list selects: upcoming from a day
    (the longest duration) ago, so a session in progress is among them; past before now."""
    margin = timedelta(minutes=rules.DURATION_MAX)
    return (now - margin, None) if upcoming else (None, now)


def on_timeline(session: Session, *, upcoming: bool, now: datetime) -> bool:
    """Whether the session belongs to the upcoming list (not ended) or the past one."""
    return (rules.end_utc(session.start_utc, session.duration) > now) == upcoming


def _checked_values(
    owner: Account, data: SessionInput, *, current: Session | None
) -> dict[str, Any]:
    """Column values for the given fields, every one checked; nothing written yet."""
    values: dict[str, Any] = {}
    if data.topic is not None:
        values["topic"] = rules.check_topic(data.topic)
    if data.duration is not None:
        values["duration"] = rules.check_duration(data.duration)
    if data.password is not None:
        values["password"] = rules.check_password(data.password)
    if data.friendly_url is not None:
        values["friendly_url"] = rules.check_friendly_url(data.friendly_url)
    if data.custom_data is not None:
        values["custom_data"] = rules.parse_custom_data(data.custom_data)
    if data.auto_record is not None:
        values["auto_record"] = data.auto_record
    if data.waiting_room is not None:
        values["waiting_room"] = data.waiting_room
    if data.timezone is not None:
        values["timezone"] = rules.check_timezone(data.timezone)
    elif current is None:
        values["timezone"] = owner.timezone
    if data.start_time is not None:
        wall = rules.parse_wall_time(data.start_time)
        zone = values.get("timezone") or (current.timezone if current else owner.timezone)
        length = values.get("duration") or (current.duration if current else 0)
        values["start_utc"] = rules.start_utc(wall, timezone=zone, dst=owner.dst, duration=length)
    elif current is not None and "duration" in values:
        rules.check_end(current.start_utc, values["duration"])
    return values


async def _write(values: dict[str, Any], statement: Awaitable[T]) -> T:
    """Run an insert or update, turning a friendly-URL clash into `Taken`."""
    try:
        return await statement
    except IntegrityError as exc:
        if "friendly_url" in str(exc.orig):
            raise Taken(
                f"friendly_url '{values.get('friendly_url')}' is already used by another session"
            ) from exc
        raise


async def _new_access_code(conn: Connection) -> int:
    """A 9-digit dial-in code that no session has."""
    for _ in range(ACCESS_CODE_TRIES):
        code = 100_000_000 + secrets.randbelow(900_000_000)
        if not await repository.access_code_in_use(conn, code):
            return code
    raise RuntimeError("could not find a free session access code")


async def set_phone_bridge(conn: Connection, *, login: str, on: bool) -> int:
    """Turn an account's phone bridge on or off; the number of its sessions whose code
    changed. On: every live session without a code gets one. Off: every code is taken
    back, so GET session shows none and a caller dialling it hears "wrong code"."""
    owner = await repository.set_phone_bridge_flag(conn, login=login, on=on)
    if owner is None:
        raise Missing(f"no account '{login}'")
    if not on:
        return await repository.clear_access_codes(conn, owner_id=owner)
    missing = await repository.sessions_without_code(conn, owner_id=owner)
    for session_id in missing:
        code = await _new_access_code(conn)
        await repository.set_access_code(conn, session_id=session_id, code=code)
    return len(missing)
