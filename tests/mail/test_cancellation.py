"""Cancellations over real SMTP (aiosmtpd): a withdrawn invitation and a deleted session
remove the calendar entry their invitees were sent (METHOD:CANCEL, the same UID, a higher
SEQUENCE), unless the call said `send_email_invitation` 0; the owner is named in them."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from tests.conftest import MakeAccount
from tests.mail.test_delivery import event_of, invite, text_of, to
from tests.support.api import ok, rest
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_until

from onstream.mail.statuses import PENDING
from onstream.mail.tables import outbox


def named_owner(make_account: MakeAccount) -> httpx.Client:
    owner = make_account()
    ok(rest(owner, "POST", "user", {"first_name": "Dana", "last_name": "Reyes"}))
    return owner


def new_session(owner: httpx.Client, topic: str) -> int:
    body = {"topic": topic, "duration": 30, "start_time": "2030-05-04 10:00:00"}
    return int(ok(rest(owner, "PUT", "session", body), 201)["id"])


def kinds_for(server: Server, session_id: int) -> list[tuple[str, str]]:
    """(kind, To) of every message about the session in the outbox, oldest first."""
    query = select(outbox.c.kind, outbox.c.recipient, outbox.c.status).where(
        outbox.c.session_id == session_id
    )
    return [(row["kind"], row["recipient"]) for row in server.query(query.order_by(outbox.c.id))]


def delivered(server: Server, session_id: int) -> bool:
    query = select(outbox.c.status).where(outbox.c.session_id == session_id)
    return all(row["status"] != PENDING for row in server.query(query))


def test_withdrawing_an_invitee_cancels_their_calendar_entry(
    make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner = named_owner(make_account)
    session_id = new_session(owner, "Budget review")
    user_id = invite(owner, session_id, "leaving@example.org", first_name="Lee")
    invite(owner, session_id, "staying@example.org")
    (invitation,) = smtp.sink.wait_for(to("leaving@example.org"))
    assert "invited by Dana Reyes" in text_of(invitation)
    assert "invited by Dana Reyes" in text_of(invitation, "text/html")
    ok(rest(owner, "DELETE", "invitee", {"session_id": session_id, "user_id": user_id}))
    _, cancel = smtp.sink.wait_for(to("leaving@example.org"), count=2)
    assert str(cancel["Subject"]).startswith("Cancelled for you: Budget review")
    assert "Dana Reyes withdrew your invitation" in text_of(cancel)
    assert cancel.get_content_type() == "multipart/alternative"
    calendar, cancelled = event_of(cancel)
    _, invited = event_of(invitation)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled["UID"] == invited["UID"]
    assert int(cancelled["SEQUENCE"]) > int(invited["SEQUENCE"])
    # Only the withdrawn person hears of it; the one who stays has their invitation alone.
    assert len(smtp.sink.to("staying@example.org")) == 1


def test_a_later_update_outranks_the_cancellation(
    make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner = named_owner(make_account)
    session_id = new_session(owner, "Ranked")
    user_id = invite(owner, session_id, "ranked-out@example.org")
    invite(owner, session_id, "ranked-in@example.org")
    smtp.sink.wait_for(to("ranked-out@example.org"))
    ok(rest(owner, "DELETE", "invitee", {"session_id": session_id, "user_id": user_id}))
    _, cancel = smtp.sink.wait_for(to("ranked-out@example.org"), count=2)
    ok(rest(owner, "POST", "session", {"id": session_id, "duration": 45}))
    _, update = smtp.sink.wait_for(to("ranked-in@example.org"), count=2)
    assert int(event_of(update)[1]["SEQUENCE"]) > int(event_of(cancel)[1]["SEQUENCE"])


def test_no_cancellation_when_the_call_says_no_email(
    make_account: MakeAccount, smtp: SmtpServer, server: Server
) -> None:
    owner = named_owner(make_account)
    session_id = new_session(owner, "Quiet withdrawal")
    told_not = invite(owner, session_id, "told-not@example.org")
    never_mailed = invite(owner, session_id, "never@example.org", send_email_invitation=False)
    smtp.sink.wait_for(to("told-not@example.org"))
    quiet = {"session_id": session_id, "user_id": told_not, "send_email_invitation": 0}
    ok(rest(owner, "DELETE", "invitee", quiet))
    # Someone never mailed the invitation has no calendar entry to cancel.
    ok(rest(owner, "DELETE", "invitee", {"session_id": session_id, "user_id": never_mailed}))
    wait_until(lambda: delivered(server, session_id))
    assert [kind for kind, _ in kinds_for(server, session_id)] == ["invitation"]
    assert len(smtp.sink.to("told-not@example.org")) == 1
    assert smtp.sink.to("never@example.org") == []


def test_deleting_a_session_cancels_every_mailed_invitee(
    make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner = named_owner(make_account)
    session_id = new_session(owner, "Called off")
    invite(owner, session_id, "gone1@example.org")
    invite(owner, session_id, "gone2@example.org", role=1)
    (invitation,) = smtp.sink.wait_for(to("gone1@example.org"))
    smtp.sink.wait_for(to("gone2@example.org"))
    ok(rest(owner, "DELETE", "session", {"id": session_id}))
    for address in ("gone1@example.org", "gone2@example.org"):
        _, cancel = smtp.sink.wait_for(to(address), count=2)
        assert str(cancel["Subject"]).startswith("Cancelled: Called off")
        assert "Dana Reyes cancelled this web conference" in text_of(cancel)
        calendar, cancelled = event_of(cancel)
        assert str(calendar["METHOD"]) == "CANCEL"
        assert cancelled["UID"] == event_of(invitation)[1]["UID"]
        assert int(cancelled["SEQUENCE"]) > int(event_of(invitation)[1]["SEQUENCE"])


def test_deleting_a_session_without_email_sends_no_cancellation(
    make_account: MakeAccount, smtp: SmtpServer, server: Server
) -> None:
    owner = named_owner(make_account)
    session_id = new_session(owner, "Silently gone")
    invite(owner, session_id, "silent@example.org")
    smtp.sink.wait_for(to("silent@example.org"))
    ok(rest(owner, "DELETE", f"session/id/{session_id}", {"send_email_invitation": "false"}))
    assert owner.get(f"session/id/{session_id}").status_code == 410
    wait_until(lambda: delivered(server, session_id))
    assert [kind for kind, _ in kinds_for(server, session_id)] == ["invitation"]
    assert len(smtp.sink.to("silent@example.org")) == 1
