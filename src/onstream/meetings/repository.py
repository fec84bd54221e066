"""Queries on rooms, admissions and room tokens. Functions take a connection, never commit."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from onstream.meetings.models import Admission, Room
from onstream.meetings.rules import OBSERVER
from onstream.meetings.tables import admissions, room_presence, room_tokens, room_viewers, rooms
from onstream.sessions.tables import sessions
from onstream.storage.database import Connection
from onstream.storage.upsert import insert_or_ignore
from onstream.users.tables import users

_ROOM_COLUMNS = tuple(rooms.c[name] for name in Room.__slots__)


async def room_of(conn: Connection, session_id: int) -> Room | None:
    """The session's room, if it was ever opened."""
    row = (
        await conn.execute(select(*_ROOM_COLUMNS).where(rooms.c.session_id == session_id))
    ).first()
    return Room(*row) if row else None


async def lock_room(conn: Connection, session_id: int) -> tuple[Room, datetime | None] | None:
    """The session's room and when its participants were last listed, locked until the
    transaction ends (on PostgreSQL; SQLite's write transactions are serial already), so
    two processes never tell the same join or leave."""
    query = select(*_ROOM_COLUMNS, rooms.c.presence_listed_at).where(
        rooms.c.session_id == session_id
    )
    if conn.dialect_name == "postgresql":
        query = query.with_for_update(of=rooms)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return Room(*row[: len(_ROOM_COLUMNS)]), row.presence_listed_at


async def ended_among(conn: Connection, session_ids: Collection[int]) -> set[int]:
    """Which of these sessions have a room that ended (a moderator ended it, its time ran
    out, the session was deleted)."""
    if not session_ids:
        return set()
    query = select(rooms.c.session_id).where(
        rooms.c.session_id.in_(list(session_ids)), rooms.c.ended_at.is_not(None)
    )
    return {int(row[0]) for row in (await conn.execute(query)).all()}


async def delete_ended_room(conn: Connection, session_id: int) -> bool:
    """Forget the session's room if it ended, so its next join opens a new one; whether
    there was one."""
    result = await conn.execute(
        delete(rooms).where(rooms.c.session_id == session_id, rooms.c.ended_at.is_not(None))
    )
    return bool(result.rowcount)


async def open_rooms(conn: Connection) -> list[Room]:
    """Every room not ended yet."""
    query = select(*_ROOM_COLUMNS).where(rooms.c.ended_at.is_(None)).order_by(rooms.c.id)
    return [Room(*row) for row in (await conn.execute(query)).all()]


@dataclass(frozen=True, slots=True)
class SessionOwner:
    """The account a session's webhook events belong to."""

    id: int
    login: str


async def owner_of(conn: Connection, session_id: int) -> SessionOwner | None:
    """Who owns the session (deleted sessions too: their room's last events are theirs)."""
    query = (
        select(users.c.id, users.c.login)
        .select_from(sessions.join(users, users.c.id == sessions.c.owner_id))
        .where(sessions.c.id == session_id)
    )
    row = (await conn.execute(query)).first()
    return SessionOwner(id=row.id, login=row.login) if row else None


@dataclass(frozen=True, slots=True)
class Stay:
    """One person's time in a room, as `room_presence` keeps it."""

    id: int
    admission_id: int
    participant: int
    name: str
    role: int
    joined_at: datetime
    left_at: datetime | None


async def open_stays(
    conn: Connection, session_id: int, *, admission_ids: list[int] | None = None
) -> list[Stay]:
    """Who is in the session's room as far as we know (no `left_at` yet), first come first."""
    query = (
        select(
            room_presence.c.id,
            room_presence.c.admission_id,
            admissions.c.participant,
            admissions.c.name,
            admissions.c.role,
            room_presence.c.joined_at,
            room_presence.c.left_at,
        )
        .join(admissions, admissions.c.id == room_presence.c.admission_id)
        .where(room_presence.c.session_id == session_id, room_presence.c.left_at.is_(None))
        .order_by(room_presence.c.id)
    )
    if admission_ids is not None:
        query = query.where(room_presence.c.admission_id.in_(admission_ids))
    return [
        Stay(
            id=row.id,
            admission_id=row.admission_id,
            participant=int(row.participant),
            name=row.name,
            role=int(row.role),
            joined_at=row.joined_at,
            left_at=row.left_at,
        )
        for row in (await conn.execute(query)).all()
    ]


async def insert_stay(
    conn: Connection, *, session_id: int, admission_id: int, joined_at: datetime
) -> int:
    """Note that someone came in; the new stay's id."""
    result = await conn.execute(
        insert(room_presence)
        .values(session_id=session_id, admission_id=admission_id, joined_at=joined_at)
        .returning(room_presence.c.id)
    )
    return int(result.scalar_one())


async def end_stays(conn: Connection, stay_ids: list[int], *, left_at: datetime) -> None:
    """Note that these people left."""
    if stay_ids:
        await conn.execute(
            update(room_presence).where(room_presence.c.id.in_(stay_ids)).values(left_at=left_at)
        )


async def insert_room_unless_present(conn: Connection, values: dict[str, Any]) -> None:
    """Create the session's room row; a concurrent creator's row wins (one room per session)."""
    await insert_or_ignore(conn, rooms, values, conflict=("session_id",))


async def update_room(conn: Connection, room_id: int, values: dict[str, Any]) -> None:
    """Set these columns of one room."""
    await conn.execute(update(rooms).where(rooms.c.id == room_id).values(**values))


async def rooms_due_to_close(conn: Connection, *, now: datetime, grace_minutes: int) -> list[Room]:
    """Open rooms whose session was deleted or ended more than the grace period ago."""
    query = (
        select(*_ROOM_COLUMNS, sessions.c.start_utc, sessions.c.duration, sessions.c.deleted_at)
        .join(sessions, sessions.c.id == rooms.c.session_id)
        .where(rooms.c.ended_at.is_(None))
    )
    due = []
    for row in (await conn.execute(query)).all():
        room = Room(*row[: len(_ROOM_COLUMNS)])
        start, duration, deleted_at = row[len(_ROOM_COLUMNS) :]
        end = start.timestamp() + (duration + grace_minutes) * 60
        if deleted_at is not None or end <= now.timestamp():
            due.append(room)
    return due


async def insert_admission(conn: Connection, values: dict[str, Any]) -> int:
    """Let one person in; returns the admission's id."""
    result = await conn.execute(insert(admissions).values(**values).returning(admissions.c.id))
    return int(result.scalar_one())


_ADMISSION_QUERY = (
    select(
        admissions.c.id,
        admissions.c.session_id,
        admissions.c.secret,
        admissions.c.participant,
        admissions.c.role,
        admissions.c.name,
        admissions.c.source,
        admissions.c.revoked_at,
        admissions.c.removed_at,
        admissions.c.invitation_token,
        users.c.login,
        sessions.c.topic,
        sessions.c.start_utc,
        sessions.c.duration,
        sessions.c.timezone,
        users.c.dst,
        sessions.c.auto_record,
        sessions.c.deleted_at,
        admissions.c.waiting,
        sessions.c.waiting_room,
        admissions.c.on_stage,
    )
    .join(sessions, sessions.c.id == admissions.c.session_id)
    .join(users, users.c.id == sessions.c.owner_id)
)


def _admission(row: Any) -> Admission:
    return Admission(
        id=row.id,
        session_id=row.session_id,
        secret=row.secret,
        participant=int(row.participant),
        role=int(row.role),
        name=row.name,
        source=row.source,
        revoked=row.revoked_at is not None,
        owner_login=row.login,
        topic=row.topic,
        start_utc=row.start_utc,
        duration=row.duration,
        timezone=row.timezone,
        dst=bool(row.dst),
        auto_record=bool(row.auto_record),
        session_deleted=row.deleted_at is not None,
        removed=row.removed_at is not None,
        waiting=bool(row.waiting),
        waiting_room=bool(row.waiting_room),
        on_stage=bool(row.on_stage),
    )


async def admission_by_secret(conn: Connection, *, login: str, secret: str) -> Admission | None:
    """The admission behind `/{login}/room/{secret}`; the login must own the session."""
    query = _ADMISSION_QUERY.where(
        admissions.c.secret == secret, users.c.login == login, users.c.disabled_at.is_(None)
    )
    row = (await conn.execute(query)).first()
    return _admission(row) if row else None


async def revoke(conn: Connection, *, now: datetime, **where: Any) -> list[tuple[int, int]]:
    """Revoke the live admissions matching `where` (column = value); returns their
    (admission id, participant) pairs."""
    conditions = [admissions.c[name] == value for name, value in where.items()]
    query = select(admissions.c.id, admissions.c.participant).where(
        admissions.c.revoked_at.is_(None), *conditions
    )
    found = [(int(r.id), int(r.participant)) for r in (await conn.execute(query)).all()]
    if found:
        await conn.execute(
            update(admissions)
            .where(admissions.c.id.in_([admission_id for admission_id, _ in found]))
            .values(revoked_at=now)
        )
    return found


async def set_on_stage(conn: Connection, *, session_id: int, participant: int, on: bool) -> bool:
    """Bring the live observer with this id on stage (or back); False when there is none."""
    done = await conn.execute(
        update(admissions)
        .where(
            admissions.c.session_id == session_id,
            admissions.c.participant == participant,
            admissions.c.role == OBSERVER,
            admissions.c.revoked_at.is_(None),
        )
        .values(on_stage=on)
    )
    return bool(done.rowcount)


async def mark_removed(
    conn: Connection, *, session_id: int, participant: int, now: datetime
) -> None:
    """Remember that a moderator removed the person of this live admission."""
    await conn.execute(
        update(admissions)
        .where(
            admissions.c.session_id == session_id,
            admissions.c.participant == participant,
            admissions.c.revoked_at.is_(None),
        )
        .values(removed_at=now)
    )


async def removed(conn: Connection, session_id: int) -> list[Admission]:
    """The session's admissions whose person was removed and not let back in, latest first;
    one per invitation (a person who came through their link twice shows once)."""
    query = _ADMISSION_QUERY.where(
        admissions.c.session_id == session_id, admissions.c.removed_at.is_not(None)
    ).order_by(admissions.c.removed_at.desc(), admissions.c.id.desc())
    found: list[Admission] = []
    seen: set[str] = set()
    for row in (await conn.execute(query)).all():
        token = row.invitation_token
        if token is not None and token in seen:
            continue
        if token is not None:
            seen.add(token)
        found.append(_admission(row))
    return found


async def is_removed(conn: Connection, session_id: int, **where: Any) -> bool:
    """Whether an admission of the session matching `where` (invitation_token=T or
    secret=S) was removed and not let back in."""
    conditions = [admissions.c[name] == value for name, value in where.items()]
    query = select(admissions.c.id).where(
        admissions.c.session_id == session_id, admissions.c.removed_at.is_not(None), *conditions
    )
    return (await conn.execute(query.limit(1))).first() is not None


async def readmit(conn: Connection, *, session_id: int, participant: int) -> bool:
    """Forget the removal of the person with this Janus id (and of every other admission of
    the same invitation); whether there was one."""
    query = select(admissions.c.id, admissions.c.invitation_token).where(
        admissions.c.session_id == session_id,
        admissions.c.participant == participant,
        admissions.c.removed_at.is_not(None),
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return False
    same = admissions.c.id == row.id
    if row.invitation_token is not None:
        same = same | (admissions.c.invitation_token == row.invitation_token)
    await conn.execute(
        update(admissions)
        .where(admissions.c.session_id == session_id, same)
        .values(removed_at=None)
    )
    return True


async def insert_token(
    conn: Connection, *, token: str, admission_id: int, expires_at: datetime
) -> None:
    """Remember a Janus token minted for one join of one admission."""
    await conn.execute(
        insert(room_tokens).values(token=token, admission_id=admission_id, expires_at=expires_at)
    )


async def take_tokens(
    conn: Connection, *, admission_ids: list[int] | None = None, expired_by: datetime | None = None
) -> list[tuple[int, str]]:
    """Delete the tokens of these admissions, or those expired by a time; returns
    (session id, token) pairs, for removing them from the rooms' allowed lists."""
    query = select(room_tokens.c.id, room_tokens.c.token, admissions.c.session_id).join(
        admissions, admissions.c.id == room_tokens.c.admission_id
    )
    if admission_ids is not None:
        query = query.where(room_tokens.c.admission_id.in_(admission_ids))
    if expired_by is not None:
        query = query.where(room_tokens.c.expires_at <= expired_by)
    rows = (await conn.execute(query)).all()
    if rows:
        await conn.execute(delete(room_tokens).where(room_tokens.c.id.in_([r.id for r in rows])))
    return [(int(r.session_id), r.token) for r in rows]


_KNOCKING = admissions.c.waiting & sessions.c.waiting_room
"""A guest who knocked and waits (see `Admission.knocking`)."""


async def admitted(conn: Connection, session_id: int) -> list[Admission]:
    """The session's live admissions, first let in first (not those still waiting)."""
    query = _ADMISSION_QUERY.where(
        admissions.c.session_id == session_id, admissions.c.revoked_at.is_(None), ~_KNOCKING
    ).order_by(admissions.c.id)
    return [_admission(row) for row in (await conn.execute(query)).all()]


async def knocking(conn: Connection, session_id: int) -> list[Admission]:
    """The session's guests waiting to be admitted, first come first."""
    query = _ADMISSION_QUERY.where(
        admissions.c.session_id == session_id, admissions.c.revoked_at.is_(None), _KNOCKING
    ).order_by(admissions.c.id)
    return [_admission(row) for row in (await conn.execute(query)).all()]


async def let_in(conn: Connection, *, session_id: int, participant: int) -> bool:
    """Admit the waiting guest with this Janus id; whether there was one."""
    query = (
        update(admissions)
        .where(
            admissions.c.session_id == session_id,
            admissions.c.participant == participant,
            admissions.c.revoked_at.is_(None),
            admissions.c.waiting.is_(True),
        )
        .values(waiting=False)
    )
    return bool((await conn.execute(query)).rowcount)


async def turn_away(conn: Connection, *, session_id: int, participant: int, now: datetime) -> bool:
    """Deny the waiting guest with this Janus id: removed and revoked in one statement, so a
    concurrent admission and denial never both take effect; whether there was one."""
    query = (
        update(admissions)
        .where(
            admissions.c.session_id == session_id,
            admissions.c.participant == participant,
            admissions.c.revoked_at.is_(None),
            admissions.c.waiting.is_(True),
        )
        .values(removed_at=now, revoked_at=now)
    )
    return bool((await conn.execute(query)).rowcount)


async def replace_placement(
    conn: Connection, room_id: int, *, old_secret: str, server: str, secret: str
) -> bool:
    """Put a room on `server` with a new `secret`, unless another process did so first (its
    secret is no longer `old_secret`); whether this call changed it."""
    query = (
        update(rooms)
        .where(rooms.c.id == room_id, rooms.c.secret == old_secret)
        .values(server=server, secret=secret)
    )
    return bool((await conn.execute(query)).rowcount)


async def live_tokens(conn: Connection, session_id: int, *, now: datetime) -> list[str]:
    """The unexpired Janus tokens of the session's live admissions: those a room created
    again must let in."""
    query = (
        select(room_tokens.c.token)
        .join(admissions, admissions.c.id == room_tokens.c.admission_id)
        .where(
            admissions.c.session_id == session_id,
            admissions.c.revoked_at.is_(None),
            room_tokens.c.expires_at > now,
        )
        .order_by(room_tokens.c.id)
    )
    return [str(token) for token in (await conn.execute(query)).scalars()]


def _watching(since: datetime) -> Any:
    """A viewer's placement that still counts: made since `since` (joining now) or of someone
    Janus lists in the room (an open stay), in a room not ended."""
    present = (
        select(room_presence.c.id)
        .where(
            room_presence.c.admission_id == room_viewers.c.admission_id,
            room_presence.c.left_at.is_(None),
        )
        .exists()
    )
    return (room_viewers.c.placed_at >= since) | present


async def viewers_per_server(
    conn: Connection, *, since: datetime, besides: int | None = None
) -> dict[str, int]:
    """How many viewers each Janus server serves now, over all open rooms (`besides`: an
    admission not to count, the one being placed)."""
    query = (
        select(room_viewers.c.server, func.count())
        .join(rooms, rooms.c.session_id == room_viewers.c.session_id)
        .where(rooms.c.ended_at.is_(None), _watching(since))
        .group_by(room_viewers.c.server)
    )
    if besides is not None:
        query = query.where(room_viewers.c.admission_id != besides)
    return {str(server): int(count) for server, count in (await conn.execute(query)).all()}


async def viewer_servers(conn: Connection, session_id: int, *, since: datetime) -> set[str]:
    """The servers the session's viewers watch from now."""
    query = select(room_viewers.c.server).where(
        room_viewers.c.session_id == session_id, _watching(since)
    )
    return {str(server) for server in (await conn.execute(query.distinct())).scalars()}


async def place_viewer(
    conn: Connection, *, admission_id: int, session_id: int, server: str, now: datetime
) -> None:
    """Note the server an observer watches from (replacing where they watched before)."""
    await conn.execute(delete(room_viewers).where(room_viewers.c.admission_id == admission_id))
    await conn.execute(
        insert(room_viewers).values(
            admission_id=admission_id, session_id=session_id, server=server, placed_at=now
        )
    )
