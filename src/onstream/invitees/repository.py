"""Queries on `invitations`. Functions take a connection and never commit."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, select, update

from onstream.invitees.tables import invitations
from onstream.sessions.repository import SESSION_COLUMNS, between
from onstream.sessions.tables import sessions
from onstream.storage.database import Connection
from onstream.users.tables import users

_account = users.alias("account")
_person = users.alias("person")
_owner = users.alias("owner")


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


async def invitations_of(
    conn: Connection, *, session_id: int, user_ids: Collection[int]
) -> dict[int, Any]:
    """The invitations of these people to one session, by user id (one query for all)."""
    if not user_ids:
        return {}
    query = select(invitations).where(
        invitations.c.session_id == session_id, invitations.c.user_id.in_(list(user_ids))
    )
    return {row.user_id: row for row in await conn.execute(query)}


async def insert_invitations(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert invitations in one executemany."""
    if rows:
        await conn.execute(insert(invitations), rows)


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


@dataclass(frozen=True, slots=True)
class AccountOfAddress:
    """The registered account behind an invitee's address: its clock and its name."""

    timezone: str
    dst: bool
    name: str
    """`First Last` of the account, or empty when it has no names."""


async def account_zones(conn: Connection, emails: Collection[str]) -> dict[str, AccountOfAddress]:
    """The time zone, dst flag and name of the registered account of each address, in one
    query, by lower-cased address. Only a verified address counts (an unconfirmed one may
    belong to somebody else): an address with no verified account is absent."""
    keys = {email.lower() for email in emails}
    if not keys:
        return {}
    query = (
        select(
            users.c.email_key, users.c.timezone, users.c.dst, users.c.first_name, users.c.last_name
        )
        .where(
            users.c.owner_id.is_(None),
            users.c.email_key.in_(list(keys)),
            users.c.email_verified.is_(True),
        )
        .order_by(users.c.id.desc())
    )
    # Descending ids, so the lowest id of an address is written last and wins.
    return {
        row.email_key: AccountOfAddress(
            row.timezone, bool(row.dst), f"{row.first_name} {row.last_name}".strip()
        )
        for row in await conn.execute(query)
    }


async def display_name(conn: Connection, user_id: int) -> str:
    """`First Last`, or the login or e-mail when the names are empty."""
    query = select(users.c.first_name, users.c.last_name, users.c.login, users.c.email).where(
        users.c.id == user_id
    )
    row = (await conn.execute(query)).one()
    name = f"{row.first_name} {row.last_name}".strip()
    return name or row.login or row.email


def _registered(account_id: int, *columns: Any) -> Select[Any]:
    """The live sessions of other accounts that invite a person with this account's
    verified address (CONTRACT §6a): at most one invitation per session, since an owner
    has one person per address and a person one invitation per session."""
    return (
        select(*columns)
        .select_from(invitations)
        .join(_person, _person.c.id == invitations.c.user_id)
        .join(
            _account,
            and_(
                _account.c.id == account_id,
                _account.c.owner_id.is_(None),
                _account.c.email_verified.is_(True),
                _account.c.email_key == _person.c.email_key,
            ),
        )
        .join(sessions, sessions.c.id == invitations.c.session_id)
        .join(_owner, _owner.c.id == sessions.c.owner_id)
        .where(
            sessions.c.deleted_at.is_(None),
            sessions.c.owner_id != account_id,
            _person.c.owner_id == sessions.c.owner_id,
        )
    )


REGISTERED_COLUMNS = (
    *SESSION_COLUMNS,
    invitations.c.id.label("invitation_id"),
    invitations.c.role,
    invitations.c.token,
    _owner.c.login.label("owner_login"),
    _owner.c.dst.label("owner_dst"),
    _owner.c.email.label("owner_email"),
    _owner.c.first_name.label("owner_first_name"),
    _owner.c.last_name.label("owner_last_name"),
)
"""A session's columns in `Session` order, then its invitation and its owner."""


async def registered_invitation(conn: Connection, *, account_id: int, session_id: int) -> Any:
    """The row (REGISTERED_COLUMNS) of this session if the account is a registered invitee
    of it, else None."""
    query = _registered(account_id, *REGISTERED_COLUMNS).where(sessions.c.id == session_id)
    return (await conn.execute(query)).first()


async def registered_page(
    conn: Connection, *, account_id: int, count: int, offset: int, descending: bool
) -> list[Any]:
    """A page of the sessions the account is a registered invitee of, by session id."""
    order = sessions.c.id.desc() if descending else sessions.c.id.asc()
    query = _registered(account_id, *REGISTERED_COLUMNS).order_by(order)
    return list(await conn.execute(query.limit(count).offset(offset)))


async def registered_by_start(
    conn: Connection,
    *,
    account_id: int,
    since: datetime | None,
    before: datetime | None,
    count: int,
    offset: int,
) -> list[Any]:
    """Sessions the account is a registered invitee of, starting at or after `since` and
    before `before` (earliest first when `since` is given, else latest first): the account
    center's lists."""
    query = between(_registered(account_id, *REGISTERED_COLUMNS), since, before)
    return list(await conn.execute(query.limit(count).offset(offset)))


async def registered_total(conn: Connection, *, account_id: int) -> int:
    """How many sessions the account is a registered invitee of."""
    return int(await conn.scalar(_registered(account_id, func.count())) or 0)
