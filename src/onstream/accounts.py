"""What the rest of the server knows about an account once it has authenticated."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Account:
    """An account that can use the API: the owner of sessions, people and recordings."""

    id: int
    login: str
    email: str
    password_hash: str
    timezone: str
    dst: bool
    phone_bridge: bool
    read_only: bool = False
    """Authenticated with a read-only API token: the API refuses it every write (403)."""
    disabled: bool = False
    """Disabled by the operator (`onstream user disable`): the API refuses it (403)."""
