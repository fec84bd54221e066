"""Registered invitees: accounts invited by their verified address to other accounts'
sessions (CONTRACT §6a).

Account A is a registered invitee of session S, owned by another account, when an invitee
of S has A's address and that address is verified (`users.email_confirmation`). A sees S,
read-only, in its own zone: through `GET session/id/S`, `GET sessions/invited/1` and the
account center. The access lasts as long as the invitation and the session: both are
looked up on every call, nothing is copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.invitees import repository
from onstream.sessions.documents import InviteeView
from onstream.sessions.models import FIELDS as SESSION_FIELDS
from onstream.sessions.models import Session
from onstream.sessions.service import on_timeline, timeline_bounds
from onstream.storage.database import Connection

_SESSION_WIDTH = len(SESSION_FIELDS)


@dataclass(frozen=True, slots=True)
class SessionOwner:
    """The owner of a session an account is invited to, as far as its links need it."""

    login: str
    dst: bool
    email: str = ""
    """The organizer of the session's calendar event."""
    name: str = ""
    """How the owner is shown to the invitee: `First Last`, or the login when unnamed."""


@dataclass(frozen=True, slots=True)
class InvitedSession:
    """A live session of another account that `account` is a registered invitee of."""

    session: Session
    owner: SessionOwner
    invitation_id: int
    """The invitee row (`invitations.id`) that makes the account an invitee."""
    role: int
    """1 moderator, 2 participant, 3 observer."""
    token: str
    """The secret of the invitee's personal link."""

    def personal_session_link(self, base_url: str) -> str:
        """`{base_url}/{owner}/go/{token}`: the invitee's own one-click link."""
        return f"{base_url}/{self.owner.login}/go/{self.token}"

    def view(self, base_url: str) -> InviteeView:
        """What the session documents show of it."""
        return InviteeView(
            session=self.session,
            owner=self.owner,
            role=self.role,
            personal_session_link=self.personal_session_link(base_url),
        )


def _invited(row: Any) -> InvitedSession:
    return InvitedSession(
        session=Session(*row[:_SESSION_WIDTH]),
        owner=SessionOwner(
            login=row.owner_login,
            dst=bool(row.owner_dst),
            email=row.owner_email,
            name=f"{row.owner_first_name} {row.owner_last_name}".strip() or row.owner_login,
        ),
        invitation_id=row.invitation_id,
        role=row.role,
        token=row.token,
    )


async def invitation_of(
    conn: Connection, account: Account, session_id: int
) -> InvitedSession | None:
    """Session `session_id` if `account` is a registered invitee of it (live, owned by
    another account, invited at the account's verified address), else None."""
    row = await repository.registered_invitation(conn, account_id=account.id, session_id=session_id)
    return _invited(row) if row else None


async def invited_sessions(
    conn: Connection,
    account: Account,
    *,
    count: int = 100,
    offset: int = 0,
    descending: bool = False,
) -> list[InvitedSession]:
    """A page of the live sessions `account` is a registered invitee of, by session id."""
    rows = await repository.registered_page(
        conn, account_id=account.id, count=count, offset=offset, descending=descending
    )
    return [_invited(row) for row in rows]


async def invited_total(conn: Connection, account: Account) -> int:
    """How many live sessions `account` is a registered invitee of."""
    return await repository.registered_total(conn, account_id=account.id)


async def invited_timeline(
    conn: Connection, account: Account, *, upcoming: bool, count: int, offset: int
) -> tuple[list[InvitedSession], bool]:
    """One page of the sessions `account` is invited to that have not ended (earliest
    first) or that have (latest first), and whether more may follow: the account center's
    lists, by the same rule as the account's own sessions (`sessions.service.timeline`)."""
    now = utcnow()
    since, before = timeline_bounds(upcoming=upcoming, now=now)
    rows = await repository.registered_by_start(
        conn, account_id=account.id, since=since, before=before, count=count, offset=offset
    )
    found = [_invited(row) for row in rows]
    kept = [i for i in found if on_timeline(i.session, upcoming=upcoming, now=now)]
    return kept, len(found) == count


async def invited_starting(
    conn: Connection,
    account: Account,
    *,
    since: datetime | None,
    before: datetime | None,
    count: int,
    offset: int,
) -> tuple[list[InvitedSession], bool]:
    """One page of the sessions `account` is invited to that start in [since, before), as
    `sessions.service.starting` pages the account's own, and whether more may follow."""
    rows = await repository.registered_by_start(
        conn, account_id=account.id, since=since, before=before, count=count, offset=offset
    )
    return [_invited(row) for row in rows], len(rows) == count
