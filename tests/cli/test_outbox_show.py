"""`onstream outbox show ID`: a message kept without a relay, printed as its recipient would
read it (headers decoded, the text part, every link with the personal one, the calendar)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from tests.cli.test_accounts import account, quiet, status_of
from tests.support.api import ok, rest
from tests.support.app import AppServer
from tests.support.recordings import new_session
from tests.support.waiting import wait_until

from onstream.mail.tables import outbox

__all__ = ["quiet"]  # the module's server without a relay, shared with the account tests


def test_outbox_show_prints_a_logged_message_as_sent(
    quiet: AppServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="onstream.mail")
    _, _, client = account(quiet)
    ok(rest(client, "POST", "user", {"first_name": "Dana", "last_name": "Reyes"}))
    guest = {"email": "zoe@example.com", "first_name": "Zoë", "last_name": "Guest"}
    session_id = new_session(client, topic="Plans für 2031", invited_participants=[guest])
    [row] = quiet.query(select(outbox.c.id).where(outbox.c.session_id == session_id))
    wait_until(lambda: status_of(quiet, row["id"]) == "logged")
    # The worker's log line says where the message is and how to read it.
    assert f"kept, read it with `onstream outbox show {row['id']}`" in caplog.text
    groups = ok(client.get(f"invitees/id/{session_id}/format/json"))
    link = groups["participants"][0]["personal_session_link"]

    shown = quiet.cli("outbox", "show", str(row["id"]))

    assert shown.returncode == 0, shown.stderr
    listing = quiet.cli("outbox").stdout
    assert "kept unsent" in listing
    lines = shown.stdout.splitlines()
    assert lines[0] == f"#{row['id']} logged invitation, attempts 1"
    assert "kept in the outbox, not sent: no ONSTREAM_SMTP_HOST" in lines[1]
    assert "To: Zoë Guest <zoe@example.com>" in lines
    assert any(line.startswith("Subject: Invitation: Plans für 2031 (") for line in lines)
    assert "You are invited by Dana Reyes to a web conference." in lines
    assert "Hello Zoë Guest," in lines
    links = lines[lines.index("Links:") + 1 :]
    assert f"  {link}" in links
    calendar = lines[lines.index("Calendar:") + 1 :]
    assert "  METHOD: REQUEST" in calendar
    assert any(line.startswith(f"  UID: session-{session_id}@") for line in calendar)
    assert "  SEQUENCE: 0" in calendar


def test_outbox_show_of_no_message_says_so(quiet: AppServer) -> None:
    missing = quiet.cli("outbox", "show", "999999")
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == "onstream: there is no message #999999\n"
