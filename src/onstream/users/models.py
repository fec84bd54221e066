"""Users as the service sees them: a profile as the API shows it, and the changes a request
asks for.

Plain values only (no database, no HTTP), so the API's `user` routes, the account center's
forms and the invitations build and read the same values.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    """A user row as the API shows it."""

    id: int
    login: str | None
    email: str
    first_name: str
    last_name: str
    timezone: str | None
    dst: bool | None
    email_verified: bool | None
    """Accounts only: the address is the operator's or was confirmed (CONTRACT §6a)."""


@dataclass(frozen=True, slots=True)
class ProfileInput:
    """Fields a POST or PUT user may set; None means "not given"."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    timezone: str | None = None
    dst: bool | None = None
    login: str | None = None
