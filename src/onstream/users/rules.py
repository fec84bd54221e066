"""The rules a user's fields follow, as pure functions: what a login, an e-mail address, a
time zone, a password and a name must be.

No database: the service, the people of an account, the invitations and the web pages check
the same way and raise the same `Invalid`.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from onstream import timezones, zone_names
from onstream.errors import Invalid

LOGIN_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

RESERVED_LOGINS = frozenset(
    {
        "api",
        "play",
        "go",
        "account",
        "static",
        "health",
        "janus",
        "host",
        "room",
        "docs",
        "calendar",
    }
)
"""First path segments the web pages use; an account with such a login would shadow them."""

MIN_PASSWORD_LENGTH = 8
NAME_MAX = 100


def check_login(login: str) -> str:
    """The login if it is usable in URLs and not reserved, else `Invalid`."""
    if not LOGIN_PATTERN.fullmatch(login):
        raise Invalid(
            "login must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if login.lower() in RESERVED_LOGINS:
        raise Invalid(f"login '{login}' is reserved for the server's own pages; choose another")
    return login


def normalize_email(email: str, *, field: str = "email") -> str:
    """The e-mail address in normalized form, or `Invalid` naming the field."""
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        # the validator's own sentence would be its text, not ours; one fixed sentence
        raise Invalid(f"{field} is not a valid e-mail address like name@example.com") from exc


def check_timezone(name: str, *, field: str = "timezone") -> str:
    """The time zone if known (an old IANA name as today's: `Asia/Calcutta` is kept as
    `Asia/Kolkata`), else `Invalid` naming the field."""
    if not timezones.is_timezone(name):
        raise Invalid(f"{field} '{name}' is not {timezones.describe()}")
    return zone_names.canonical(name)


def check_password(password: str) -> str:
    """The password if it is long enough, else `Invalid`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"password must be at least {MIN_PASSWORD_LENGTH} characters long")
    return password


def check_name(value: str, field: str) -> str:
    """A first or last name of at most 100 characters."""
    value = value.strip()
    if len(value) > NAME_MAX:
        raise Invalid(f"{field} must be at most {NAME_MAX} characters long")
    return value
