"""What an invitation is made of: roles, one person to invite, what operations need.

Plain values only (no database, no HTTP), so the API's routes, the account center's forms
and the meeting room read the same role names.
"""

from __future__ import annotations

from dataclasses import dataclass

from onstream.accounts import Account
from onstream.config import Settings
from onstream.storage.database import Connection

ROLE_NAMES = {1: "moderator", 2: "participant", 3: "observer"}
"""What each `role` number means (the documentation: 1 moderator, 2 participant, 3 observer)."""
ROLES = {role: f"{name}s" for role, name in ROLE_NAMES.items()}
"""The groups of GET invitees, by role."""
DEFAULT_ROLE = 2


@dataclass(frozen=True, slots=True)
class InviteeInput:
    """One person to invite: e-mail (or an existing user id), names, role, whether to mail."""

    email: str | None
    first_name: str | None = None
    last_name: str | None = None
    role: int | None = None
    send: bool | None = None
    """None: not said (an invitation is mailed to new invitees only)."""
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """What every operation needs besides the connection."""

    conn: Connection
    owner: Account
    settings: Settings
