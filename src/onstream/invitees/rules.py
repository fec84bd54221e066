"""The checks an invitation's values pass before anything is written (CONTRACT §6)."""

from __future__ import annotations

from onstream.errors import Invalid
from onstream.invitees.models import DEFAULT_ROLE, ROLES


def check_role(role: int | None, *, field: str = "role") -> int:
    """A role of 1 (moderator), 2 (participant) or 3 (observer); 2 when not given."""
    if role is None:
        return DEFAULT_ROLE
    if role not in ROLES:
        raise Invalid(f"{field} must be 1 (moderator), 2 (participant) or 3 (observer)")
    return role
