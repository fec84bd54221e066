"""The one rule every public link follows: a disabled account's things are absent.

A recording's playback page and media, an uploaded file's download, a calendar feed, a
meeting's lobby, room and relay are reached by a link, without credentials. Each lookup
behind such a link carries `enabled` in its own query, so a link of a disabled account is
simply not found: it answers exactly as a link that never existed (the same status and
body), and a visitor learns nothing about the account. `onstream user enable` brings every
link back, since nothing was deleted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists

from onstream.users.tables import users


def enabled(account_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """A condition: the account `account_id` names exists and is not disabled."""
    return exists().where(users.c.id == account_id, users.c.disabled_at.is_(None))
