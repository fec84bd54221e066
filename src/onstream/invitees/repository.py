"""Queries on `invitations`. Functions take a connection and never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from onstream.invitees.tables import invitations
from onstream.storage.database import Connection
from onstream.users.tables import users


async def invitation(conn: Connection, *, session_id: int, user_id: int) -> Any:
    """The invitation of one person to one session, or None."""
    query = select(invitations).where(
        invitations.c.session_id == session_id, invitations.c.user_id == user_id
    )
    return (await conn.execute(query)).first()


async def insert_invitation(conn: Connection, values: dict[str, Any]) -> int:
    """Insert an invitation; returns its row id."""
    result = await conn.execute(insert(invitations).values(**values).returning(invitations.c.id))
    return int(result.scalar_one())


async def update_invitation(conn: Connection, invitation_id: int, values: dict[str, Any]) -> None:
    """Change an invitation."""
    await conn.execute(
        update(invitations).where(invitations.c.id == invitation_id).values(**values)
    )


async def delete_invitation(conn: Connection, invitation_id: int) -> None:
    """Remove an invitation (its personal link stops working)."""
    await conn.execute(delete(invitations).where(invitations.c.id == invitation_id))


async def invitees_of(conn: Connection, session_id: int, *, mailed_only: bool = False) -> list[Any]:
    """Every invitee of a session with the person's details, by role then user id."""
    query = (
        select(
            invitations.c.id.label("invitation_id"),
            invitations.c.role,
            invitations.c.token,
            invitations.c.mailed,
            users.c.id,
            users.c.email,
            users.c.first_name,
            users.c.last_name,
        )
        .join(users, users.c.id == invitations.c.user_id)
        .where(invitations.c.session_id == session_id)
        .order_by(invitations.c.role, users.c.id)
    )
    if mailed_only:
        query = query.where(invitations.c.mailed.is_(True))
    return list(await conn.execute(query))


async def account_zone(conn: Connection, email: str) -> tuple[str, bool] | None:
    """The time zone and dst flag of the registered account with this e-mail, if any."""
    query = (
        select(users.c.timezone, users.c.dst)
        .where(users.c.owner_id.is_(None), users.c.email_key == email.lower())
        .order_by(users.c.id)
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    return (row.timezone, bool(row.dst)) if row else None


async def display_name(conn: Connection, user_id: int) -> str:
    """`First Last`, or the login or e-mail when the names are empty."""
    query = select(users.c.first_name, users.c.last_name, users.c.login, users.c.email).where(
        users.c.id == user_id
    )
    row = (await conn.execute(query)).one()
    name = f"{row.first_name} {row.last_name}".strip()
    return name or row.login or row.email
