"""Zones by name for people, codes for the API (docs/decisions.md, "Zones by name").

An account may hold an IANA zone (`Europe/Berlin`); the API answers the documentation's code
and `dst` flag that zone has at the session's date, and accepts IANA names wherever a code
is (CONTRACT §7). People read the place and its abbreviation: in the lobby, in e-mails and
in the calendar description. Over real HTTP, with the real outbox and SMTP sink.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.server import Server
from tests.support.smtp import SmtpServer

from onstream.timezones import clock

FIELDS = "timezone;start_time;start_time_utc"


def me(client: httpx.Client) -> dict[str, Any]:
    (user,) = ok(client.get("user/format/json"))["users"]
    return dict(user)


def put_session(client: httpx.Client, **fields: Any) -> int:
    body = {"topic": "Zoned", "duration": 45, "start_time": "2030-07-10 18:00:00", **fields}
    return int(ok(rest(client, "PUT", "session", body), 201)["id"])


def shown(client: httpx.Client, session_id: int) -> dict[str, Any]:
    doc = ok(client.get(f"session/id/{session_id}/return/{FIELDS}/format/json"))
    return dict(doc["sessions"][0])


def utc_of(document: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(document["start_time_utc"].replace("Z", "+00:00"))


def read_back(document: dict[str, Any], dst: bool) -> datetime:
    """What a client that knows only the codes computes: `start_time` on the code's clock."""
    wall = datetime.fromisoformat(document["start_time"])
    return clock(document["timezone"], dst).to_utc(wall).replace(tzinfo=UTC)


def berlin_account(make_account: MakeAccount) -> httpx.Client:
    client = make_account()
    ok(rest(client, "POST", "user", {"timezone": "Europe/Berlin"}))
    return client


def test_an_account_in_berlin_is_up1_with_dst_in_the_api(make_account: MakeAccount) -> None:
    client = make_account()
    # `dst` 0 sent with an IANA name changes nothing: the zone keeps its own rules
    ok(rest(client, "POST", "user", {"timezone": "Europe/Berlin", "dst": 0}))
    user = me(client)
    assert (user["timezone"], user["dst"]) == ("UP1", True)


@pytest.mark.parametrize(
    ("start", "utc"),
    [
        ("2030-07-10 18:00:00", "2030-07-10T16:00:00Z"),
        ("2030-01-10 18:00:00", "2030-01-10T17:00:00Z"),
    ],
)
def test_a_berlin_meeting_is_booked_and_read_on_berlins_clock_in_any_season(
    make_account: MakeAccount, start: str, utc: str
) -> None:
    """Booked today (December, winter time) for July or January: the wall time typed is the
    one shown, on both sides, and the code with the flag gives back the instant."""
    client = berlin_account(make_account)
    document = shown(client, put_session(client, start_time=start))
    assert document == {"timezone": "UP1", "start_time": start, "start_time_utc": utc}
    assert read_back(document, me(client)["dst"]) == utc_of(document)


def test_a_zone_with_rules_of_its_own_is_the_code_of_each_date(make_account: MakeAccount) -> None:
    client = make_account()
    ok(rest(client, "POST", "user", {"timezone": "America/Santiago"}))
    assert me(client)["dst"] is False
    summer = shown(client, put_session(client, start_time="2030-01-10 18:00:00"))
    winter = shown(client, put_session(client, start_time="2030-07-10 18:00:00"))
    assert (summer["timezone"], summer["start_time"]) == ("UM3", "2030-01-10 18:00:00")
    assert (winter["timezone"], winter["start_time"]) == ("UM4", "2030-07-10 18:00:00")
    for document in (summer, winter):
        assert read_back(document, False) == utc_of(document)


def test_a_session_given_an_iana_name_answers_a_code(make_account: MakeAccount) -> None:
    fixed = make_account(timezone="UP55", dst=False)
    summer = shown(fixed, put_session(fixed, timezone="Europe/Berlin"))
    assert summer == {
        "timezone": "UP2",  # the owner's flag is off: Berlin's summer is the fixed UP2
        "start_time": "2030-07-10 18:00:00",
        "start_time_utc": "2030-07-10T16:00:00Z",
    }
    with_dst = make_account(timezone="UP1", dst=True)
    lisbon = shown(with_dst, put_session(with_dst, timezone="Europe/Lisbon"))
    assert (lisbon["timezone"], lisbon["start_time"]) == ("UTC", "2030-07-10 18:00:00")
    assert read_back(lisbon, True) == utc_of(lisbon)


def test_a_registered_invitee_in_an_iana_zone_sees_a_code(
    server: Server, make_account: MakeAccount
) -> None:
    owner = make_account(timezone="UTC")
    reader = make_account()
    ok(rest(reader, "POST", "user", {"timezone": "Asia/Kolkata"}))
    reader_email = me(reader)["email"]
    session_id = put_session(owner)
    body = {"session_id": session_id, "email": reader_email, "send_email_invitation": 0}
    ok(rest(owner, "PUT", "invitee", body), 201)
    document = {name: shown(reader, session_id)[name] for name in FIELDS.split(";")}
    assert document == {
        "timezone": "UP55",
        "start_time": "2030-07-10 23:30:00",
        "start_time_utc": "2030-07-10T18:00:00Z",
    }


def test_dst_alone_on_an_account_in_an_iana_zone_is_refused_and_changes_nothing(
    make_account: MakeAccount,
) -> None:
    client = berlin_account(make_account)
    before = me(client)
    message = error(rest(client, "POST", "user", {"dst": 0, "first_name": "Changed"}), 400)
    assert message.startswith("dst: the account's zone Europe/Berlin keeps its own daylight")
    assert me(client) == before
    ok(rest(client, "POST", "user", {"dst": 1}))  # the flag it has: nothing to change
    assert me(client) == before
    ok(rest(client, "POST", "user", {"timezone": "UP1", "dst": 0}))  # a code: its flag is free
    assert (me(client)["timezone"], me(client)["dst"]) == ("UP1", False)


@pytest.mark.parametrize("zone", ["Europe/Atlantis", "europe/berlin", "UP155", ""])
def test_a_zone_that_is_neither_is_refused_and_changes_nothing(
    make_account: MakeAccount, zone: str
) -> None:
    client = berlin_account(make_account)
    before = me(client)
    assert "timezone" in error(rest(client, "POST", "user", {"timezone": zone}), 400)
    assert me(client) == before
    body = {"topic": "T", "duration": 5, "start_time": "2030-07-10 18:00", "timezone": zone}
    assert "timezone" in error(rest(client, "PUT", "session", body), 400)
    assert ok(client.get("sessions/format/json"))["sessions"] == []


# --- what people read ----------------------------------------------------------------------


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def calendar_of(message: EmailMessage) -> Calendar:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return Calendar.from_ical(part.get_payload(decode=True))
    raise AssertionError("no calendar part")


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2030-07-10 18:00:00", "Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST (UTC+02:00)"),
        ("2030-01-10 18:00:00", "Thursday, 10 January 2030, Europe/Berlin · 18:00 CET (UTC+01:00)"),
    ],
)
def test_guests_read_the_place_and_its_abbreviation(
    server: Server, make_account: MakeAccount, smtp: SmtpServer, start: str, expected: str
) -> None:
    client = berlin_account(make_account)
    guest = f"guest-{start[:10]}@zones.example"
    invited = [{"email": guest, "first_name": "Gus"}]
    session_id = put_session(client, start_time=start, invited_participants=invited)
    (mail,) = smtp.sink.wait_for(lambda m: guest in str(m["To"]))
    assert expected in body_of(mail)
    assert "(UP1" not in body_of(mail)
    (event,) = calendar_of(mail).walk("VEVENT")
    assert str(event["DESCRIPTION"]).startswith(f"Starts: {expected}\nJoin: ")
    link = ok(client.get(f"session/id/{session_id}/return/session_link/format/json"))
    lobby = server.get(link["sessions"][0]["session_link"])
    text = " ".join(re.sub(r"<[^>]+>", " ", lobby.text.split("</style>", 1)[1]).split())
    assert expected.split(" (UTC")[0] in text  # the lobby: the same words, no offset


def test_the_calendar_download_describes_the_start_on_the_readers_clock(
    make_account: MakeAccount,
) -> None:
    client = berlin_account(make_account)
    session_id = put_session(client, start_time="2030-01-10 09:30:00")
    (event,) = Calendar.from_ical(client.get(f"session/id/{session_id}/format/ics").content).walk(
        "VEVENT"
    )
    description = str(event["DESCRIPTION"])
    assert description.startswith("Starts: Thursday, 10 January 2030, Europe/Berlin · 09:30 CET")
    start = event.decoded("DTSTART")
    assert start.astimezone(ZoneInfo("Europe/Berlin")).hour == 9
