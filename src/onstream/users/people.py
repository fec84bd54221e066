"""The people an account invites and the account's own profile, as the `user` resource sees them.

A person is found by e-mail within one account (case-insensitive): the same address is one
person, whatever sessions they are invited to.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from onstream import timezones
from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.config import Settings
from onstream.errors import Invalid, Missing, Taken
from onstream.storage.database import Connection
from onstream.users import email_confirmation, repository
from onstream.users.models import Profile, ProfileInput
from onstream.users.rules import check_login, check_name, check_timezone, normalize_email


def _profile(row: Any) -> Profile:
    is_account = row.owner_id is None
    return Profile(
        id=row.id,
        login=row.login,
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        timezone=row.timezone if is_account else None,
        dst=bool(row.dst) if is_account else None,
        email_verified=bool(row.email_verified) if is_account else None,
    )


async def get_profile(conn: Connection, account: Account, user_id: int) -> Profile:
    """The account itself, or one of its people; `Missing` for anyone else."""
    row = await repository.user_of_account(conn, account_id=account.id, user_id=user_id)
    if row is None:
        raise Missing(f"User {user_id} does not exist")
    return _profile(row)


async def person_by_email(conn: Connection, account: Account, email: str) -> Profile | None:
    """The person of this account with this e-mail address, if any."""
    row = await repository.person_by_email(conn, account_id=account.id, email_key=email.lower())
    return _profile(row) if row else None


def _name_values(data: ProfileInput) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if data.email is not None:
        email = normalize_email(data.email)
        values.update(email=email, email_key=email.lower())
    if data.first_name is not None:
        values["first_name"] = check_name(data.first_name, "first_name")
    if data.last_name is not None:
        values["last_name"] = check_name(data.last_name, "last_name")
    return values


async def add_person(conn: Connection, account: Account, data: ProfileInput) -> int:
    """Add a person to the account; `Taken` when the e-mail is already one of its people."""
    if data.email is None:
        raise Invalid("email is required")
    values = _name_values(data)
    if await person_by_email(conn, account, values["email"]) is not None:
        raise Taken(f"A user with e-mail {values['email']} already exists in this account")
    now = utcnow()
    values.update(owner_id=account.id, created_at=now, updated_at=now)
    try:
        return await repository.insert_person(conn, values)
    except IntegrityError as exc:
        raise Taken(f"A user with e-mail {values['email']} already exists in this account") from exc


async def find_or_add_person(conn: Connection, account: Account, data: ProfileInput) -> int:
    """The id of the account's person with this e-mail, created when there is none.

    Safe under concurrent requests: a person created by a parallel transaction is found, not
    reported as a conflict.
    """
    if data.email is None:
        raise Invalid("email is required")
    values = _name_values(data)
    found = await person_by_email(conn, account, values["email"])
    if found is not None:
        return found.id
    now = utcnow()
    values.update(owner_id=account.id, created_at=now, updated_at=now)
    new_id = await repository.insert_person_unless_present(conn, values)
    if new_id is not None:
        return new_id
    found = await person_by_email(conn, account, values["email"])
    if found is None:  # pragma: no cover - the conflicting row cannot vanish in between
        raise RuntimeError("person disappeared during insert")
    return found.id


async def update_person(
    conn: Connection, account: Account, user_id: int, data: ProfileInput, *, settings: Settings
) -> None:
    """Change a person's e-mail and names."""
    person = await get_profile(conn, account, user_id)
    if person.login is not None:
        await update_account(conn, account, data, settings=settings)
        return
    values = _name_values(data)
    if not values:
        return
    if "email" in values:
        other = await person_by_email(conn, account, values["email"])
        if other is not None and other.id != user_id:
            raise Taken(f"A user with e-mail {values['email']} already exists in this account")
    values["updated_at"] = utcnow()
    await repository.update_user(conn, user_id, values)


async def update_account(
    conn: Connection, account: Account, data: ProfileInput, *, settings: Settings
) -> str | None:
    """Change the account's profile; returns the new login when it changed, else None.

    A new address (not merely another spelling of the same one) is unverified until the
    link mailed to it is opened; the message is queued in this transaction."""
    values = _name_values(data)
    current = await repository.user_of_account(conn, account_id=account.id, user_id=account.id)
    new_email = "email_key" in values and values["email_key"] != current.email_key
    if new_email:
        values["email_verified"] = False
    values.update(_zone_values(data, current))
    new_login = None
    if data.login is not None and data.login != account.login:
        new_login = check_login(data.login)
        if await repository.login_taken(conn, new_login, except_id=account.id):
            raise Taken(f"login '{new_login}' is already taken")
        values["login"] = new_login
    if not values:
        return None
    values["updated_at"] = utcnow()
    try:
        await repository.update_user(conn, account.id, values)
    except IntegrityError as exc:
        raise Taken(f"login '{new_login}' is already taken") from exc
    if new_login is not None:
        await repository.forget_digest_hashes(conn, account_id=account.id)
    if new_email:
        await _confirm_address(conn, account.id, settings=settings)
    if new_login is not None or "timezone" in values or "dst" in values:
        await repository.bump_credential_epoch(conn)
    return new_login


def _zone_values(data: ProfileInput, current: Any) -> dict[str, Any]:
    """`timezone` and `dst` to store. An IANA name keeps its own rules, so its `dst` is the
    one the API shows for it (`timezones.account_dst`), whatever was sent; `dst` alone on an
    account that holds an IANA name is refused unless it is that same flag."""
    zone = check_timezone(data.timezone) if data.timezone is not None else None
    if zone is not None and timezones.is_iana(zone):
        return {"timezone": zone, "dst": timezones.account_dst(zone, False)}
    if zone is None and data.dst is not None and timezones.is_iana(current.timezone):
        if data.dst != timezones.account_dst(current.timezone, False):
            raise Invalid(
                f"dst: the account's zone {current.timezone} keeps its own daylight saving "
                "time; send a timezone code (such as UP1) with dst to set it"
            )
        return {}
    values: dict[str, Any] = {} if zone is None else {"timezone": zone}
    return values if data.dst is None else {**values, "dst": data.dst}


async def _confirm_address(conn: Connection, account_id: int, *, settings: Settings) -> None:
    """Mail the account's (just changed) address a link that confirms it."""
    row = await repository.user_of_account(conn, account_id=account_id, user_id=account_id)
    await email_confirmation.request(
        conn,
        settings=settings,
        account_id=account_id,
        login=row.login,
        email=row.email,
        name=f"{row.first_name} {row.last_name}".strip(),
    )
