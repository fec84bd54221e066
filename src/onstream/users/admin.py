"""The operator's view of accounts: list them, disable and enable them.

Disabling keeps every row: the account's data stays for an operator who changes their mind.
It raises the credential epoch (as a password change does), so every server process drops
the account's cached credentials within a second and refuses it from then on as it refuses
a wrong password, and every public link of the account (lobbies, rooms, recordings, files,
calendar feed) is then not found (`users.enabled`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from onstream.clock import utcnow
from onstream.errors import Invalid, Missing
from onstream.storage.database import Connection
from onstream.users import repository
from onstream.users.tables import users


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One account as `onstream user list` shows it."""

    id: int
    login: str
    email: str
    created_at: datetime
    disabled_at: datetime | None
    people: int
    """People the account has invited or stored (its address book)."""


async def list_accounts(conn: Connection) -> list[AccountRow]:
    """Every account, by login."""
    people = users.alias("people")
    count = (
        select(func.count())
        .select_from(people)
        .where(people.c.owner_id == users.c.id)
        .scalar_subquery()
    )
    query = (
        select(
            users.c.id,
            users.c.login,
            users.c.email,
            users.c.created_at,
            users.c.disabled_at,
            count.label("people"),
        )
        .where(users.c.owner_id.is_(None))
        .order_by(users.c.login)
    )
    return [AccountRow(*row) for row in await conn.execute(query)]


async def set_disabled(conn: Connection, *, login: str, disabled: bool) -> bool:
    """Disable or enable the account; False when it already was. `Missing` when unknown."""
    account = await repository.account_by_login(conn, login)
    if account is None:
        raise Missing(f"no account with login '{login}'")
    if account.disabled == disabled:
        return False
    now = utcnow()
    await conn.execute(
        update(users)
        .where(users.c.id == account.id)
        .values(disabled_at=now if disabled else None, updated_at=now)
    )
    await repository.bump_credential_epoch(conn)
    return True


def confirm_login(login: str, typed: str) -> None:
    """`Invalid` unless the operator typed the login back (before a deletion)."""
    if typed.strip() != login:
        raise Invalid(f"'{typed.strip()}' is not '{login}'; nothing was deleted")
