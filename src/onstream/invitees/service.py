"""The rules for inviting people to sessions (CONTRACT §6). No HTTP here.

Within one account a person is one user, found by e-mail (case-insensitive); an invitation
links that person to one session with a role and a personal link token. Functions run inside
the caller's transaction and never commit.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.exc import IntegrityError

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.config import Settings
from onstream.errors import Invalid, Missing, Taken
from onstream.invitees import mailing, repository
from onstream.invitees.documents import invitee_document
from onstream.invitees.models import ROLES, Context, InviteeInput
from onstream.invitees.rules import check_role
from onstream.sessions import service as sessions
from onstream.sessions.models import Session
from onstream.storage.database import Connection
from onstream.users import people
from onstream.users.models import ProfileInput
from onstream.users.rules import normalize_email
from onstream.webhooks import outbox as webhooks


async def invite(ctx: Context, session: Session, data: InviteeInput) -> int:
    """Invite a person to a session; returns their user id. 409 when already invited."""
    role = check_role(data.role)
    user_id = await _person(ctx, data)
    if await repository.invitation(ctx.conn, session_id=session.id, user_id=user_id):
        raise Taken(f"User {user_id} is already invited to session {session.id}")
    await _add(ctx, session, user_id, role=role, send=data.send is not False)
    return user_id


async def _add(ctx: Context, session: Session, user_id: int, *, role: int, send: bool) -> None:
    """Insert the invitation of a person known not to be invited yet; mail it when `send`."""
    now = utcnow()
    values: dict[str, Any] = {
        "session_id": session.id,
        "user_id": user_id,
        "role": role,
        "token": secrets.token_urlsafe(24),
        "mailed": send,
        "created_at": now,
        "updated_at": now,
    }
    try:
        await repository.insert_invitation(ctx.conn, values)
    except IntegrityError as exc:  # a concurrent request invited the same person first
        raise Taken(f"User {user_id} is already invited to session {session.id}") from exc
    if send:
        await _mail(ctx, "invitation", session, user_id, values["token"], role=role)
    await _tell_webhooks(ctx, "invitee.added", session, await _shown(ctx, session, user_id))


async def change(
    ctx: Context, session: Session, *, user_id: int, role: int | None, send: bool
) -> None:
    """Change an invitee's role and, when `send`, mail the invitation again."""
    row = await _invitation(ctx, session, user_id)
    values: dict[str, Any] = {"updated_at": utcnow()}
    if role is not None:
        values["role"] = check_role(role)
    if send:
        values["mailed"] = True
    await repository.update_invitation(ctx.conn, row.id, values)
    if send:
        now_role = values.get("role", row.role)
        await _mail(ctx, "invitation", session, user_id, row.token, role=now_role)
    await _tell_webhooks(ctx, "invitee.updated", session, await _shown(ctx, session, user_id))


async def remove(ctx: Context, session: Session, *, user_id: int, send: bool = True) -> str:
    """Withdraw an invitation; its personal link stops working. A person who was mailed the
    invitation gets a cancellation of their calendar entry (same UID, higher SEQUENCE)
    unless `send` is false. Returns the link's token, so whoever entered the meeting room
    through it can be let out too."""
    row = await _invitation(ctx, session, user_id)
    shown = await _shown(ctx, session, user_id)
    if send and row.mailed:
        raised = await sessions.raise_sequence(ctx.conn, session)
        await _mail(ctx, "withdrawn", raised, user_id, row.token, role=row.role)
    await repository.delete_invitation(ctx.conn, row.id)
    await _tell_webhooks(ctx, "invitee.deleted", session, shown)
    return str(row.token)


async def _shown(ctx: Context, session: Session, user_id: int) -> dict[str, Any]:
    """The invitee as GET invitees shows it, with its session's id: a webhook event's data."""
    for row in await repository.invitees_of(ctx.conn, session.id):
        if row.id == user_id:
            return {"session_id": session.id, **invitee_document(ctx.settings, ctx.owner, row)}
    raise Missing(f"User {user_id} is not invited to session {session.id}")


async def _tell_webhooks(ctx: Context, event: str, session: Session, shown: dict[str, Any]) -> None:
    """Queue the event for the account's webhooks, in the caller's transaction."""
    key = f"invitee:{session.id}:{shown['id']}"
    await webhooks.emit(ctx.conn, ctx.owner, event, key, shown)


async def grouped(
    conn: Connection, settings: Settings, owner: Account, session: Session, role: str
) -> dict[str, list[dict[str, Any]]]:
    """The session's invitees by role group; only the asked group unless `role` is all."""
    groups: dict[str, list[dict[str, Any]]] = {name: [] for name in ROLES.values()}
    for row in await repository.invitees_of(conn, session.id):
        groups[ROLES[row.role]].append(invitee_document(settings, owner, row))
    return groups if role == "all" else {role: groups[role]}


async def _person(ctx: Context, data: InviteeInput, *, field: str = "") -> int:
    """The user id of the person: by user id, else found or created by e-mail."""
    prefix = f"{field}." if field else ""
    if data.email is None:
        if data.user_id is None:
            raise Invalid(f"{prefix}email is required")
        return (await people.get_profile(ctx.conn, ctx.owner, data.user_id)).id
    email = normalize_email(data.email, field=f"{prefix}email")
    found = await people.person_by_email(ctx.conn, ctx.owner, email)
    if found is None:
        names = ProfileInput(email=email, first_name=data.first_name, last_name=data.last_name)
        return await people.find_or_add_person(ctx.conn, ctx.owner, names)
    blank = ProfileInput(
        first_name=data.first_name if not found.first_name else None,
        last_name=data.last_name if not found.last_name else None,
    )
    await people.update_person(ctx.conn, ctx.owner, found.id, blank, settings=ctx.settings)
    return found.id


async def check_invited(ctx: Context, session: Session, user_id: int) -> None:
    """`Missing` unless the person is invited to the session: a form about an invitee
    answers 404 for anyone else before it looks at what was typed."""
    await _invitation(ctx, session, user_id)


async def _invitation(ctx: Context, session: Session, user_id: int) -> Any:
    row = await repository.invitation(ctx.conn, session_id=session.id, user_id=user_id)
    if row is None:
        raise Missing(f"User {user_id} is not invited to session {session.id}")
    return row


async def _mail(
    ctx: Context, kind: str, session: Session, user_id: int, token: str, *, role: int
) -> None:
    person = await people.get_profile(ctx.conn, ctx.owner, user_id)
    recipient = mailing.Recipient(
        email=person.email,
        first_name=person.first_name,
        last_name=person.last_name,
        token=token,
        role=role,
    )
    await mailing.queue(
        ctx.conn,
        kind=kind,
        settings=ctx.settings,
        owner=ctx.owner,
        session=session,
        recipient=recipient,
    )
