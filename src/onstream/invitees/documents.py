"""An invitee as the API shows it (GET invitees, webhook events)."""

from __future__ import annotations

from typing import Any

from onstream.accounts import Account
from onstream.config import Settings
from onstream.invitees import mailing


def invitee_document(settings: Settings, owner: Account, row: Any) -> dict[str, Any]:
    """One invitee as GET invitees shows it, with their personal link."""
    return {
        "id": row.id,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": row.email,
        "role": row.role,
        "personal_session_link": mailing.personal_link(settings, owner, row.token),
    }
