"""The read-only lookups behind the web pages: who may join which live session.

Each function answers None both for "no such thing" and for "not yours to see" (another
owner's session, a deleted session, a withdrawn invitation), so a page can never tell a
visitor which of those it was. The queries check the owner's login inside the query rather
than after it, so a valid token or key under the wrong username is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, or_, select

from onstream.files.documents import download_path
from onstream.files.tables import files, files_in_sessions
from onstream.invitees.tables import invitations
from onstream.sessions.tables import sessions
from onstream.storage.database import Connection
from onstream.users.tables import users

KEY_MAX = 64
"""Longest token, friendly URL or session key the tables hold; longer input cannot match."""


@dataclass(frozen=True, slots=True)
class Meeting:
    """What a join page shows of a session, with what it needs to show the time right."""

    id: int
    topic: str
    start_utc: datetime
    duration: int
    timezone: str
    dst: bool
    """The owner's `dst` flag: a session's timezone code follows it (CONTRACT §7)."""
    password: str | None
    auto_record: bool
    sequence: int
    owner_email: str
    owner_name: str
    """How the owner appears in the room: the account's `First Last`, or its login."""
    access_code: int | None = None
    """The session's dial-in code (the owner's account has the phone bridge), else None."""


@dataclass(frozen=True, slots=True)
class Invitation:
    """One person's invitation to a live session, found by the token of their link."""

    meeting: Meeting
    first_name: str
    last_name: str
    email: str
    role: int
    token: str

    @property
    def name(self) -> str:
        """`First Last`, or the e-mail address when the owner gave no names."""
        return f"{self.first_name} {self.last_name}".strip() or self.email


_MEETING_COLUMNS = (
    sessions.c.id,
    sessions.c.topic,
    sessions.c.start_utc,
    sessions.c.duration,
    sessions.c.timezone,
    sessions.c.password,
    sessions.c.auto_record,
    sessions.c.sequence,
    sessions.c.access_code,
)


def _meeting(row: Any) -> Meeting:
    return Meeting(
        id=row.id,
        topic=row.topic,
        start_utc=row.start_utc,
        duration=row.duration,
        timezone=row.timezone,
        dst=bool(row.dst),
        password=row.password,
        auto_record=bool(row.auto_record),
        sequence=int(row.sequence),
        owner_email=row.owner_email,
        owner_name=f"{row.owner_first_name} {row.owner_last_name}".strip() or row.owner_login,
        access_code=None if row.access_code is None else int(row.access_code),
    )


async def invitation_by_token(conn: Connection, *, username: str, key: str) -> Invitation | None:
    """The invitation behind `/{username}/go/{key}`, if the link is still valid.

    It demands that `username` owns the session and that the session is live, and it brings
    the owner's `dst` flag along.
    """
    if not key or len(key) > KEY_MAX:
        return None
    owner = users.alias("owner")
    invitee = users.alias("invitee")
    query = (
        select(
            *_MEETING_COLUMNS,
            owner.c.dst,
            owner.c.email.label("owner_email"),
            owner.c.first_name.label("owner_first_name"),
            owner.c.last_name.label("owner_last_name"),
            owner.c.login.label("owner_login"),
            invitations.c.role,
            invitee.c.first_name,
            invitee.c.last_name,
            invitee.c.email,
        )
        .select_from(invitations)
        .join(sessions, sessions.c.id == invitations.c.session_id)
        .join(owner, owner.c.id == sessions.c.owner_id)
        .join(invitee, invitee.c.id == invitations.c.user_id)
        .where(
            invitations.c.token == key,
            owner.c.login == username,
            owner.c.owner_id.is_(None),
            owner.c.disabled_at.is_(None),  # a disabled account's meetings admit nobody
            sessions.c.deleted_at.is_(None),
        )
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return Invitation(
        meeting=_meeting(row),
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        role=int(row.role),
        token=key,
    )


def _live_session_of(username: str) -> Select[Any]:
    """The live sessions of the account `username`, with what a `Meeting` needs."""
    return (
        select(
            *_MEETING_COLUMNS,
            users.c.dst,
            users.c.email.label("owner_email"),
            users.c.first_name.label("owner_first_name"),
            users.c.last_name.label("owner_last_name"),
            users.c.login.label("owner_login"),
        )
        .select_from(sessions)
        .join(users, users.c.id == sessions.c.owner_id)
        .where(
            users.c.login == username,
            users.c.owner_id.is_(None),
            users.c.disabled_at.is_(None),  # a disabled account's meetings admit nobody
            sessions.c.deleted_at.is_(None),
        )
    )


async def meeting_by_key(conn: Connection, *, username: str, key: str) -> Meeting | None:
    """The live session of `username` that `/{username}/{key}` names, or None.

    `key` is the session's friendly URL or its session key; a friendly URL wins when both
    match, since it is the name the owner chose for the link.
    """
    if not key or len(key) > KEY_MAX:
        return None
    query = (
        _live_session_of(username)
        .where(or_(sessions.c.friendly_url == key, sessions.c.session_key == key))
        .order_by(case((sessions.c.friendly_url == key, 0), else_=1))
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    return None if row is None else _meeting(row)


async def meeting_by_host_key(conn: Connection, *, username: str, key: str) -> Meeting | None:
    """The live session of `username` whose host link `/{username}/host/{key}` this is."""
    if not key or len(key) > KEY_MAX:
        return None
    query = _live_session_of(username).where(sessions.c.host_key == key)
    row = (await conn.execute(query)).first()
    return None if row is None else _meeting(row)


@dataclass(frozen=True, slots=True)
class SharedFile:
    """A file shared in a session (`file_in_session`), as the lobby and the room list it."""

    description: str
    link: str
    auto_open: bool
    content_type: str | None


async def shared_files(conn: Connection, session_id: int) -> list[SharedFile]:
    """The live files shared in a session, in the order they were shared."""
    query = (
        select(
            files.c.file_link,
            files.c.file_description,
            files.c.media_key,
            files.c.media_name,
            files.c.media_type,
            files_in_sessions.c.is_auto_opening,
        )
        .join(files, files.c.id == files_in_sessions.c.file_id)
        .where(files_in_sessions.c.session_id == session_id, files.c.deleted_at.is_(None))
        .order_by(files_in_sessions.c.id)
    )
    shared = []
    for row in (await conn.execute(query)).all():
        if row.media_key is not None and row.media_name is not None:
            link = download_path(row.media_key, row.media_name)
        else:
            link = row.file_link or ""
        name = row.file_description or row.media_name or link
        shared.append(SharedFile(name, link, bool(row.is_auto_opening), row.media_type))
    return shared
