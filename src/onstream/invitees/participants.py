"""`invited_participants` of PUT and POST session: many invitees in a handful of statements.

A webinar invites a hundred people in one request, inside the write transaction, which on
SQLite holds the one writer lock of the database. One person at a time that was about ten
statements each (find the person, add them, find the invitation, add it, read the person
back, the invitee's own time zone, the host's name, the outbox row, the webhooks, and every
invitee of the session again for the event): 260 ms under the lock for a hundred. Here the
entries are checked before the transaction (`checked`), and `apply` finds every person with
one `IN` query, adds the missing ones, the invitations, their messages and their webhook
events with one executemany each. Entries that change an existing invitation (or repeat an
address of the same request) go through `service.change` one by one, as before.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from onstream.clock import utcnow
from onstream.errors import Invalid, Taken
from onstream.invitees import mailing, repository
from onstream.invitees.models import Context, InviteeInput
from onstream.invitees.rules import check_role
from onstream.invitees.service import change
from onstream.sessions.models import Session
from onstream.users import people
from onstream.users import repository as users
from onstream.users.models import ProfileInput
from onstream.users.rules import check_name, normalize_email
from onstream.webhooks import outbox as webhooks


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of `invited_participants`, checked: its role, and its address normalized."""

    field: str
    """`invited_participants[3]`, for error messages."""
    data: InviteeInput
    role: int
    email: str | None
    """Normalized; None for an entry that names an existing user by id."""

    @property
    def key(self) -> str:
        """The address as people are found by it (lower case); "" for an entry by id."""
        return self.email.lower() if self.email is not None else ""


def checked(entries: Sequence[InviteeInput]) -> list[Entry]:
    """Check every entry's role and address (no database): `Invalid` naming the first bad
    one. Pure, so a request runs it before its write transaction."""
    result = []
    for index, data in enumerate(entries):
        field = f"invited_participants[{index}]"
        role = check_role(data.role, field=f"{field}.role")
        email = None
        if data.email is not None:
            email = normalize_email(data.email, field=f"{field}.email")
        elif data.user_id is None:
            raise Invalid(f"{field}.email is required")
        result.append(Entry(field=field, data=data, role=role, email=email))
    return result


async def apply(
    ctx: Context, session: Session, entries: Sequence[Entry], *, new_session: bool = False
) -> None:
    """Add new invitees and update existing ones (`new_session`: the session was created in
    this transaction, so nobody is invited yet). Existing invitees get their role changed and
    are mailed again only when the entry says `send_email_invitation: true` explicitly;
    nobody is removed."""
    if not entries:
        return
    user_ids = await _people(ctx, entries)
    existing = (
        set()
        if new_session
        else set(
            await repository.invitations_of(ctx.conn, session_id=session.id, user_ids=user_ids)
        )
    )
    added: dict[int, Entry] = {}
    changes: list[tuple[int, Entry]] = []
    for entry, user_id in zip(entries, user_ids, strict=True):
        if user_id in existing or user_id in added:
            changes.append((user_id, entry))
        else:
            added[user_id] = entry
    await _add_all(ctx, session, added)
    for user_id, entry in changes:
        data = entry.data
        await change(ctx, session, user_id=user_id, role=data.role, send=data.send is True)


async def _people(ctx: Context, entries: Sequence[Entry]) -> list[int]:
    """The user id of each entry's person: by user id, else found or created by address."""
    keys = {e.key for e in entries if e.key}
    found = await users.people_by_email_keys(ctx.conn, account_id=ctx.owner.id, email_keys=keys)
    missing = [e for e in _first_of_each(entries) if e.key not in found]
    if missing:
        await users.insert_people_unless_present(ctx.conn, [_person_row(ctx, e) for e in missing])
        found |= await users.people_by_email_keys(
            ctx.conn, account_id=ctx.owner.id, email_keys={e.key for e in missing}
        )
    created = {e.key for e in missing}
    result = []
    for entry in entries:
        if entry.email is None:
            assert entry.data.user_id is not None  # `checked` refused an entry with neither
            profile = await people.get_profile(ctx.conn, ctx.owner, entry.data.user_id)
            result.append(profile.id)
            continue
        row = found[entry.key]
        if entry.key not in created:
            await _fill_blank_names(ctx, row, entry.data)
        result.append(int(row.id))
    return result


def _first_of_each(entries: Sequence[Entry]) -> list[Entry]:
    """The entries with an address, the first one of each address only."""
    seen: set[str] = set()
    first = []
    for entry in entries:
        if entry.key and entry.key not in seen:
            seen.add(entry.key)
            first.append(entry)
    return first


def _person_row(ctx: Context, entry: Entry) -> dict[str, Any]:
    assert entry.email is not None
    now = utcnow()
    data = entry.data
    return {
        "owner_id": ctx.owner.id,
        "email": entry.email,
        "email_key": entry.email.lower(),
        "first_name": check_name(data.first_name or "", "first_name"),
        "last_name": check_name(data.last_name or "", "last_name"),
        "created_at": now,
        "updated_at": now,
    }


async def _fill_blank_names(ctx: Context, row: Any, data: InviteeInput) -> None:
    """An existing person keeps their names; the entry's fill only those that are empty."""
    blank = ProfileInput(
        first_name=data.first_name if not row.first_name else None,
        last_name=data.last_name if not row.last_name else None,
    )
    if blank.first_name is not None or blank.last_name is not None:
        await people.update_person(ctx.conn, ctx.owner, row.id, blank, settings=ctx.settings)


async def _add_all(ctx: Context, session: Session, added: dict[int, Entry]) -> None:
    """Invite people known not to be invited yet: the invitations, the messages of those to
    be mailed, the webhook events; one statement each."""
    if not added:
        return
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "session_id": session.id,
            "user_id": user_id,
            "role": entry.role,
            "token": secrets.token_urlsafe(24),
            "mailed": entry.data.send is not False,
            "created_at": now,
            "updated_at": now,
        }
        for user_id, entry in added.items()
    ]
    try:
        await repository.insert_invitations(ctx.conn, rows)
    except IntegrityError as exc:  # a concurrent request invited one of them first
        raise Taken(f"One of these people is already invited to session {session.id}") from exc
    names = await users.names_of(ctx.conn, added)
    await mailing.queue_many(
        ctx.conn,
        kind="invitation",
        settings=ctx.settings,
        owner=ctx.owner,
        session=session,
        recipients=[
            mailing.Recipient(
                email=names[row["user_id"]].email,
                first_name=names[row["user_id"]].first_name,
                last_name=names[row["user_id"]].last_name,
                token=row["token"],
                role=row["role"],
            )
            for row in rows
            if row["mailed"]
        ],
    )

    def shown() -> list[tuple[str, Any]]:
        return [
            (
                f"invitee:{session.id}:{row['user_id']}",
                {
                    "session_id": session.id,
                    "id": row["user_id"],
                    "first_name": names[row["user_id"]].first_name,
                    "last_name": names[row["user_id"]].last_name,
                    "email": names[row["user_id"]].email,
                    "role": row["role"],
                    "personal_session_link": mailing.personal_link(
                        ctx.settings, ctx.owner, row["token"]
                    ),
                },
            )
            for row in rows
        ]

    await webhooks.emit_each(ctx.conn, ctx.owner, "invitee.added", shown)
