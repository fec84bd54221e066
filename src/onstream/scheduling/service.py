"""Session writes together with their invitees, their e-mail and the meeting room. No HTTP.

The API's PUT, POST and DELETE session and DELETE invitee (`scheduling.routes`) and the
account center's forms (`web.account`) both call these, so a rule or a side effect exists
once. Each function runs inside the caller's one transaction; what has to wait for the
commit (waking the mail worker, telling the media server) goes into `Change.after_commit`,
which the caller runs only once the transaction committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.config import Settings
from onstream.invitees import mailing, participants
from onstream.invitees import service as invitees
from onstream.invitees.models import Context, InviteeInput
from onstream.invitees.participants import Entry
from onstream.meetings import service as meetings
from onstream.scheduling import series_mail
from onstream.services import Ejection, Services
from onstream.sessions import documents
from onstream.sessions import service as sessions
from onstream.sessions.models import Session, SessionInput
from onstream.storage.database import Connection
from onstream.storage.unit_of_work import AfterCommit
from onstream.webhooks import outbox as webhooks


@dataclass(frozen=True, slots=True)
class Change:
    """One change of an account's sessions: its transaction, and the work for after it."""

    conn: Connection
    owner: Account
    settings: Settings
    services: Services
    after_commit: list[AfterCommit]

    def invitees(self) -> Context:
        """The invitee service's context; mail it queues is sent right after the commit."""
        if self.services.mail.wake not in self.after_commit:
            self.after_commit.append(self.services.mail.wake)
        return Context(conn=self.conn, owner=self.owner, settings=self.settings)


@dataclass(frozen=True, slots=True)
class NewSession:
    """A PUT session checked before its transaction: the session's columns and the invitees,
    so the write lock is held for the statements alone."""

    values: dict[str, Any]
    entries: list[Entry]


def new_session(owner: Account, data: SessionInput, entries: list[InviteeInput]) -> NewSession:
    """Check a new session and its invitees (no database); `Invalid` on the first bad field."""
    return NewSession(sessions.new_values(owner, data), participants.checked(entries))


async def create_session(change: Change, data: SessionInput, entries: list[InviteeInput]) -> int:
    """A new session with its invitees (each mailed unless the entry says not to)."""
    return await insert_session(change, new_session(change.owner, data, entries))


async def insert_session(change: Change, new: NewSession) -> int:
    """Write a session checked by `new_session`, invite its invitees, tell the webhooks."""
    ctx = change.invitees()
    session = await sessions.insert(change.conn, change.owner, new.values)
    await tell_webhooks(change, "session.created", session)
    await participants.apply(ctx, session, new.entries, new_session=True)
    return session.id


async def update_session(
    change: Change,
    session_id: int,
    data: SessionInput,
    entries: list[InviteeInput],
    *,
    quiet: bool = False,
    notify: bool = True,
) -> Session:
    """Change the fields given. A new passcode lets out whoever entered with the old one;
    invitees already mailed hear of a new topic, time or length (unless `notify` is false:
    the account center's "no e-mail" for a session moved into the past); `entries` add or
    update invitees (none is removed)."""
    ctx = change.invitees()
    before = await sessions.get(change.conn, change.owner, session_id)
    session, moved = await sessions.update(change.conn, change.owner, session_id, data)
    if session.password != before.password:
        ejection = await meetings.eject(
            change.conn, session_id=session_id, now=utcnow(), source="public"
        )
        _tell_room(change, ejection)
    if moved and notify:
        await mailing.tell_everyone_mailed(
            change.conn,
            kind="update",
            settings=change.settings,
            owner=change.owner,
            session=session,
        )
    await tell_webhooks(change, "session.updated", session)
    await participants.apply(ctx, session, participants.checked(entries))
    if moved and notify and session.series_id is not None and not quiet:
        # An occurrence of a series moved on its own: the series' calendar overrides it.
        await series_mail.mail_series(change, session.series_id, kind="update")
    return session


async def delete_session(
    change: Change, session_id: int, *, quiet: bool = False, send: bool = True
) -> Session:
    """Delete a session: its room closes, invitees who were mailed get a cancellation
    (unless `send` is false: the caller tells them itself)."""
    change.invitees()
    session = await sessions.delete(change.conn, change.owner, session_id)
    ejection = await meetings.end_room(
        change.conn,
        session_id=session_id,
        reason="deleted",
        now=utcnow(),
        recordings_root=change.settings.recordings_root,
    )
    _tell_room(change, ejection)
    if send:
        await mailing.tell_everyone_mailed(
            change.conn,
            kind="cancel",
            settings=change.settings,
            owner=change.owner,
            session=session,
        )
    await tell_webhooks(change, "session.deleted", session)
    if session.series_id is not None and not quiet and send:
        # One occurrence of a series cancelled: the series' calendar excludes it (EXDATE).
        await series_mail.mail_series(change, session.series_id, kind="update")
    return session


async def withdraw_invitee(
    change: Change, session_id: int, user_id: int, *, send: bool = True
) -> None:
    """Withdraw an invitation; whoever entered the room through its link leaves, and a
    person who was mailed the invitation gets a cancellation unless `send` is false."""
    session = await sessions.get(change.conn, change.owner, session_id)
    token = await invitees.remove(change.invitees(), session, user_id=user_id, send=send)
    ejection = await meetings.eject(
        change.conn, session_id=session_id, now=utcnow(), invitation_token=token
    )
    _tell_room(change, ejection)


async def tell_webhooks(change: Change, event: str, session: Session) -> None:
    """Queue the event for the account's webhooks in this transaction, with the session as
    GET session shows it in JSON (every field); the document is built only when a webhook
    wants the event."""

    def shown() -> list[tuple[str, Any]]:
        document = documents.sessions_document(
            [session],
            owner=change.owner,
            base_url=change.settings.public_base_url,
            fields=documents.FIELDS,
            dial_in=change.settings.dial_in_list,
        )
        return [(f"session:{session.id}", document.data["sessions"][0])]

    await webhooks.emit_each(change.conn, change.owner, event, shown)


def _tell_room(change: Change, ejection: Ejection | None) -> None:
    """Apply a room change to the media server once the transaction committed."""
    if ejection is not None:
        change.after_commit.append(partial(change.services.rooms.apply, ejection))
