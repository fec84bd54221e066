"""`invitation.sent` and `invitation.failed`: the mail worker's outcome of an invitation,
told to the owner's webhooks in the transaction that records it.

The mail layer knows neither sessions nor webhooks; `create_app` and `onstream worker` hand
`tell_webhooks` to the mail worker as its outcome hook.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select

from onstream.mail.outbox import Claimed
from onstream.sessions.tables import sessions
from onstream.storage.database import Connection
from onstream.users.tables import users
from onstream.webhooks import outbox as webhooks

_OWNER = (
    select(users.c.id, users.c.login)
    .select_from(sessions.join(users, users.c.id == sessions.c.owner_id))
    .where(sessions.c.id == bindparam("session_id"))
)
"""Built once: it runs in the transaction that records each delivered message, which on
SQLite holds the writer lock the API's writes wait for."""


@dataclass(frozen=True, slots=True)
class _Owner:
    """Whose webhooks hear of the message (what `webhooks.outbox.emit` needs of an account)."""

    id: int
    login: str


async def tell_webhooks(conn: Connection, item: Claimed, error: str | None) -> None:
    """Queue `invitation.sent` (error None) or `invitation.failed` for an invitation's owner."""
    if item.kind != "invitation" or item.session_id is None:
        return
    row = (await conn.execute(_OWNER, {"session_id": item.session_id})).first()
    if row is None:
        return
    owner = _Owner(id=row.id, login=row.login)
    data = {
        "session_id": item.session_id,
        "recipient": item.recipient,
        "subject": item.subject,
        "error": error,
    }
    event = "invitation.sent" if error is None else "invitation.failed"
    await webhooks.emit(conn, owner, event, f"invitation:{item.id}", data)
