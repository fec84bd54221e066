"""What was mailed about a session, to whom and when, on the session's page; "Send again".

Each outbox message about the session (`mail.outbox.of_session`) is shown under the invitee
whose address it went to, or under "Mail to people no longer invited" (a withdrawn
invitation's cancellation): its kind, its state (queued, sent, kept without a relay, failed
with the reason) and when, on the account's clock. "Send again" queues a failed or retrying
message for delivery now, as `onstream outbox retry` does, in one write transaction; a
message of another session (or another account's) is the 404 page.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from starlette.responses import Response

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.errors import Deleted, Invalid, Missing
from onstream.mail import outbox
from onstream.mail.statuses import FAILED, LOGGED, PENDING, SENT
from onstream.sessions import rules
from onstream.sessions import service as sessions
from onstream.storage.database import Connection
from onstream.web.account.framework import PATH, Visit, account_page
from onstream.web.pages import not_found

KINDS = {
    "invitation": "Invitation",
    "update": "Update",
    "cancel": "Cancellation",
    "withdrawn": "Cancellation (invitation withdrawn)",
}
"""How each outbox kind is named on the page."""
NO_RELAY = "Not sent: this server has no mail relay (kept in its outbox)"


def _clock(moment: datetime, account: Account) -> str:
    wall = rules.utc_to_wall(moment, timezone=account.timezone, dst=account.dst)
    return f"{wall.day} {wall:%b %Y, %H:%M}"


def reason(error: str | None) -> str:
    """A failure as the organiser reads it: the relay's own answer about the recipient
    (`SMTP 550: ...`), else only that the mail server could not be reached (how the server's
    network answered is the operator's business, `onstream outbox` shows it)."""
    if not error:
        return ""
    if error.startswith("SMTP "):
        return error
    return "the mail server could not be reached"


def shown(delivery: outbox.Delivery, account: Account) -> dict[str, Any]:
    """One message as the page lists it: what, its state in words, when, and whether it
    can be sent again."""
    state, when = "Queued", delivery.created_at
    retrying = bool(delivery.last_error)
    if delivery.status == SENT and delivery.sent_at is not None:
        state, when = "Sent", delivery.sent_at
    elif delivery.status == LOGGED and delivery.sent_at is not None:
        state, when = NO_RELAY, delivery.sent_at
    elif delivery.status == FAILED:
        state = f"Failed: {reason(delivery.last_error)}"
    elif delivery.status == PENDING and retrying:
        state = f"Queued, trying again (last try: {reason(delivery.last_error)})"
    return {
        "id": delivery.id,
        "what": KINDS.get(delivery.kind, delivery.kind.capitalize()),
        "state": state,
        "status": delivery.status,
        "queued": _clock(delivery.created_at, account),
        "when": _clock(when, account),
        "again": delivery.status == FAILED or (delivery.status == PENDING and retrying),
        # The address alone: the To header may carry the name of the account behind it,
        # which the owner is not told (see `invitees.mailing`).
        "recipient": delivery.address,
    }


async def by_address(
    conn: Connection, session_id: int, account: Account, invited: Iterable[str]
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """The session's messages by invitee address (lower-cased), and those to addresses no
    longer invited."""
    addresses = {address.lower() for address in invited}
    mine: dict[str, list[dict[str, Any]]] = {}
    others: list[dict[str, Any]] = []
    for delivery in await outbox.of_session(conn, session_id):
        item = shown(delivery, account)
        if delivery.address in addresses:
            mine.setdefault(delivery.address, []).append(item)
        else:
            others.append(item)
    return mine, others


@account_page
async def send_again(visit: Visit) -> Response:
    """POST: queue a failed (or retrying) message about this session for delivery now."""
    session_id = visit.request.path_params["session_id"]
    message_id = visit.request.path_params["message_id"]
    if visit.request.method == "GET":
        return await _back(visit, session_id)
    try:
        async with visit.change() as change:
            await sessions.get(change.conn, change.owner, session_id)
            await outbox.retry(change.conn, message_id, now=utcnow(), session_id=session_id)
            change.after_commit.append(change.services.mail.wake)
    except (Missing, Deleted):
        return not_found()
    except Invalid:  # delivered meanwhile: nothing to send again
        return visit.redirect(f"{PATH}/sessions/{session_id}", flash="mail-delivered")
    return visit.redirect(f"{PATH}/sessions/{session_id}", flash="mail-sent-again")


async def _back(visit: Visit, session_id: int) -> Response:
    async with visit.transaction(write=False) as conn:
        try:
            await sessions.get(conn, visit.account, session_id)
        except (Missing, Deleted):
            return not_found()
    return visit.redirect(f"{PATH}/sessions/{session_id}")
