"""`invitation.sent` and `invitation.failed`: the mail worker's outcome of an invitation,
told to the owner's webhooks in the transaction that records it.

The mail layer knows neither sessions nor webhooks; `create_app` and `onstream worker` hand
`tell_webhooks` to the mail worker as its outcome hook.
"""

from __future__ import annotations

from sqlalchemy import select

from onstream.mail.outbox import Claimed
from onstream.sessions.tables import sessions
from onstream.storage.database import Connection
from onstream.users import repository as accounts
from onstream.users.tables import users
from onstream.webhooks import outbox as webhooks


async def tell_webhooks(conn: Connection, item: Claimed, error: str | None) -> None:
    """Queue `invitation.sent` (error None) or `invitation.failed` for an invitation's owner."""
    if item.kind != "invitation" or item.session_id is None:
        return
    query = (
        select(users.c.login)
        .select_from(sessions.join(users, users.c.id == sessions.c.owner_id))
        .where(sessions.c.id == item.session_id)
    )
    login = (await conn.execute(query)).scalar_one_or_none()
    owner = None if login is None else await accounts.account_by_login(conn, login)
    if owner is None:
        return
    data = {
        "session_id": item.session_id,
        "recipient": item.recipient,
        "subject": item.subject,
        "error": error,
    }
    event = "invitation.sent" if error is None else "invitation.failed"
    await webhooks.emit(conn, owner, event, f"invitation:{item.id}", data)
