"""A registered invitee is told the passcode the same way in their invitation e-mail, their
GET session and their account center: as a moderator, and not as a participant or observer
(CONTRACT §6a); an invitee without an account still gets it in the e-mail (§9)."""

from __future__ import annotations

from typing import Any

import httpx
from tests.conftest import MakeAccount
from tests.mail.test_delivery import text_of, to
from tests.support.api import ok, rest
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from tests.web.account.helpers import signed_in
from tests.web.helpers import login_of
from tests.web.test_pages import visible_text

PASSCODE = "tidewater-42"


def create(owner: httpx.Client, topic: str, people: list[dict[str, Any]]) -> int:
    body = {
        "topic": topic,
        "duration": 30,
        "start_time": "2030-07-10 18:00:00",
        "password": PASSCODE,
        "invited_participants": people,
    }
    return int(ok(rest(owner, "PUT", "session", body), 201)["id"])


def test_mail_page_and_api_tell_a_registered_invitee_the_same(
    server: Server, make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner = make_account()
    moderator, participant = make_account(), make_account()
    emails = {
        name: ok(client.get("user/format/json"))["users"][0]["email"]
        for name, client in (("moderator", moderator), ("participant", participant))
    }
    walkin = f"walkin-{login_of(owner)}@example.org"
    session_id = create(
        owner,
        "Tide tables",
        [
            {"email": emails["moderator"], "role": 1},
            {"email": emails["participant"], "role": 2},
            {"email": walkin, "role": 2},
        ],
    )
    for name, client in (("moderator", moderator), ("participant", participant)):
        told = name == "moderator"
        (mail,) = smtp.sink.wait_for(to(emails[name]))
        assert (PASSCODE in text_of(mail)) is told, name
        assert (PASSCODE in text_of(mail, "text/html")) is told, name
        doc = ok(client.get(f"session/id/{session_id}/return/id;password/format/json"))
        assert (doc["sessions"][0]["password"] == PASSCODE) is told, name
        assert told or doc["sessions"][0]["password"] is None
        login = login_of(client)
        with signed_in(server, login, f"{login}-password") as browser:
            home = visible_text(browser.get("/account").text)
            assert "Tide tables" in home
            assert (f"passcode {PASSCODE}" in home) is told, name
    (walkin_mail,) = smtp.sink.wait_for(to(walkin))
    assert PASSCODE in text_of(walkin_mail)
