"""A topic or a name with direction controls shows as it reads wherever a person sees it:
the lobby page, the invitation e-mail (HTML, text, subject) and its calendar event, the
lobby's .ics; while the API answers the value exactly as it was sent (SECURITY.md,
"Display text")."""

from __future__ import annotations

from email.message import EmailMessage

import httpx
from icalendar import Calendar

from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from tests.web.helpers import invite, new_session

RLO, FSI, PDI = "\u202e", "\u2068", "\u2069"
TOPIC = f"Invoice {RLO}fdp.exe"
"""Reads as "Invoice exe.pdf" when shown raw."""
SHOWN = "Invoice fdp.exe"


def part(message: EmailMessage, content_type: str) -> str:
    for sub in message.walk():
        if sub.get_content_type() == content_type:
            payload = sub.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError(f"no {content_type} part")


def test_a_topic_with_an_override_is_isolated_in_the_lobby_and_its_calendar(
    server: Server, make_account: MakeAccount
) -> None:
    owner = make_account(timezone="UTC")
    created = new_session(owner, topic=TOPIC)
    _, link = invite(owner, created.id, first_name=f"Eve{RLO}", last_name="Lee")
    (topic,) = ok(owner.get(f"session/id/{created.id}/return/topic/format/json"))["sessions"]
    assert topic["topic"] == TOPIC  # the API gives back what it was given
    page = server.get(link).text
    assert RLO not in page
    assert f"<h1><bdi>{SHOWN}</bdi></h1>" in page
    assert f"<title>{FSI}{SHOWN}{PDI} · Onstream</title>" in page
    assert "<dd><bdi>Eve Lee</bdi>" in page
    calendar = Calendar.from_ical(server.get(f"{link}/calendar.ics").content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == f"{FSI}{SHOWN}{PDI}"


def test_a_topic_with_an_override_is_isolated_in_the_invitation(
    make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner = make_account(timezone="UTC")
    body = {"topic": TOPIC, "duration": 30, "start_time": "2030-07-10 18:00:00"}
    session_id = ok(rest(owner, "PUT", "session", body), 201)["id"]
    guest = {"session_id": session_id, "email": "bidi@example.org", "first_name": "Ann"}
    ok(rest(owner, "PUT", "invitee", guest), 201)
    (message,) = smtp.sink.wait_for(lambda m: "bidi@example.org" in str(m["To"]))
    assert str(message["Subject"]).startswith(f"Invitation: {FSI}{SHOWN}{PDI} (")
    assert f"<td><bdi>{SHOWN}</bdi></td>" in part(message, "text/html")
    assert f"Topic:    {FSI}{SHOWN}{PDI}" in part(message, "text/plain")
    (event,) = Calendar.from_ical(part(message, "text/calendar")).walk("VEVENT")
    assert str(event["summary"]) == f"{FSI}{SHOWN}{PDI}"
    for content_type in ("text/html", "text/plain", "text/calendar"):
        assert RLO not in part(message, content_type)


def test_arabic_and_hebrew_with_their_marks_show_whole_and_isolated(
    server: Server, make_account: MakeAccount
) -> None:
    owner: httpx.Client = make_account(timezone="UTC")
    topic = "اجتماع\u200f 2030 שלום"
    created = new_session(owner, topic=topic)
    page = server.get(created.session_link).text
    assert f"<h1><bdi>{topic}</bdi></h1>" in page
