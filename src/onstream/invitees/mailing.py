"""Queue the e-mails about a session: invitations, updates and cancellations.

Messages go into the outbox inside the caller's transaction, so they exist exactly when the
change they describe committed. Times are shown in the invitee's own zone when the invitee
has an account of their own (found by e-mail), else in the session's zone (CONTRACT §7).
Such a registered invitee is told the passcode only as a moderator, as their GET session and
their account center show it (CONTRACT §6a); everyone else's invitation carries it (§9).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.config import Settings
from onstream.invitees import repository
from onstream.mail import messages, outbox
from onstream.sessions.models import Session
from onstream.storage.database import Connection


@dataclass(frozen=True, slots=True)
class Recipient:
    """One invitee as the message addresses them."""

    email: str
    first_name: str
    last_name: str
    token: str
    role: int
    """Their role in the session: a registered invitee learns the passcode as a moderator."""


MODERATOR = 1


def passcode_for(session: Session, *, role: int, registered: bool) -> str | None:
    """The passcode an invitee is told: every invitee without an account of their own, as
    the invitation always did; a registered invitee only as a moderator, the one rule their
    mail, their GET session and their account center share (docs/decisions.md)."""
    return session.password if role == MODERATOR or not registered else None


def personal_link(settings: Settings, owner: Account, token: str) -> str:
    """`{base_url}/{username}/go/{token}`: the invitee's one-click link."""
    return f"{settings.public_base_url}/{owner.login}/go/{token}"


async def queue(
    conn: Connection,
    *,
    kind: str,
    settings: Settings,
    owner: Account,
    session: Session,
    recipient: Recipient,
) -> None:
    """Render one message and put it in the outbox."""
    await queue_many(
        conn, kind=kind, settings=settings, owner=owner, session=session, recipients=[recipient]
    )


async def queue_many(
    conn: Connection,
    *,
    kind: str,
    settings: Settings,
    owner: Account,
    session: Session,
    recipients: Sequence[Recipient],
) -> None:
    """Render a message for each recipient and put them in the outbox: three statements
    for any number of them (their own time zones, the host's name, the outbox rows)."""
    if not recipients:
        return
    zones = await repository.account_zones(conn, [r.email for r in recipients])
    host_name = await repository.display_name(conn, owner.id)
    now = utcnow()
    composed = []
    for recipient in recipients:
        account = zones.get(recipient.email.lower())
        timezone, dst = (session.timezone, owner.dst)
        if account is not None:
            timezone, dst = account.timezone, account.dst
        # The names the person was invited with, else their own account's name.
        name = f"{recipient.first_name} {recipient.last_name}".strip()
        if not name and account is not None:
            name = account.name
        invite = messages.Invitation(
            kind=kind,
            session_id=session.id,
            sequence=session.sequence,
            topic=session.topic,
            start_utc=session.start_utc,
            duration=session.duration,
            passcode=passcode_for(
                session, role=recipient.role, registered=recipient.email.lower() in zones
            ),
            access_code=session.access_code,
            link=personal_link(settings, owner, recipient.token),
            recipient_email=recipient.email,
            recipient_name=name,
            host_name=host_name,
            host_email=owner.email,
            zone=timezone,
            dst=dst,
            dial_in=settings.dial_in_list,
        )
        composed.append(messages.build(invite, sender=settings.mail_from, now=now))
    await outbox.enqueue_many(conn, kind=kind, session_id=session.id, messages=composed)


async def tell_everyone_mailed(
    conn: Connection, *, kind: str, settings: Settings, owner: Account, session: Session
) -> int:
    """Send an update or cancellation to every invitee who was mailed about the session."""
    rows = await repository.invitees_of(conn, session.id, mailed_only=True)
    await queue_many(
        conn,
        kind=kind,
        settings=settings,
        owner=owner,
        session=session,
        recipients=[recipient_of(row) for row in rows],
    )
    return len(rows)


def recipient_of(row: Any) -> Recipient:
    """The recipient described by an `invitees_of` row."""
    return Recipient(
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        token=row.token,
        role=row.role,
    )
