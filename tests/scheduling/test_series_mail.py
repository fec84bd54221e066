"""One invitation e-mail for a whole recurring series, its calendar one recurring event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from icalendar import Calendar
from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.smtp import SmtpServer


def calendar_of(message: EmailMessage) -> Any:
    for sub in message.walk():
        if sub.get_content_type() == "text/calendar":
            payload = sub.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return Calendar.from_ical(payload)
    raise AssertionError("no text/calendar part")


def to(address: str) -> Callable[[EmailMessage], bool]:
    return lambda m: address in str(m["To"])


def test_one_invitation_for_the_series_then_an_exdate_for_a_cancelled_one(
    make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner = make_account(timezone="UP1", dst=True)
    body = {
        "topic": "Weekly planning",
        "duration": 30,
        "start_time": "2030-03-18 09:00:00",
        "recurrence": "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
        "invited_participants": [{"email": "series-guest@example.org"}],
    }
    created = ok(rest(owner, "PUT", "session", body), 201)
    ids = created["sessions"]
    for session_id in ids:
        invited = ok(owner.get(f"invitees/id/{session_id}/format/json"))["participants"]
        assert [i["email"] for i in invited] == ["series-guest@example.org"]
    (invitation,) = smtp.sink.wait_for(to("series-guest@example.org"))
    calendar = calendar_of(invitation)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert event["RRULE"]["FREQ"] == ["WEEKLY"]
    assert event["RRULE"]["COUNT"] == [4]
    start = event.decoded("DTSTART")
    assert (start.hour, str(start.tzinfo)) == (9, "Europe/Berlin")
    assert start.astimezone(UTC) == datetime(2030, 3, 18, 8, tzinfo=UTC)
    uid = str(event["UID"])
    assert uid.startswith(f"series-{created['series_id']}@")
    assert "EXDATE" not in event
    first = "First: Monday, 18 March 2030, Europe/Berlin · 09:00 CET (UTC+01:00)\nJoin: "
    assert str(event["DESCRIPTION"]).startswith(first)

    ok(owner.delete(f"session/id/{ids[2]}/format/json"))
    assert owner.get(f"session/id/{ids[2]}/format/json").status_code == 410
    _, update = smtp.sink.wait_for(to("series-guest@example.org"), count=2)
    (event,) = calendar_of(update).walk("VEVENT")
    assert str(event["UID"]) == uid
    assert "RRULE" in event
    excluded = [d.dt.astimezone(UTC) for d in event["EXDATE"].dts]
    # 1 April is after the change to summer time: 09:00 local is 07:00 UTC.
    assert excluded == [datetime(2030, 4, 1, 7, tzinfo=UTC)]
    assert len(smtp.sink.to("series-guest@example.org")) == 2


def test_moving_one_occurrence_sends_an_override_and_a_series_change_an_update(
    make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner = make_account(timezone="UTC")
    body = {
        "topic": "Retro",
        "duration": 60,
        "start_time": "2031-05-05 15:00:00",
        "recurrence": "FREQ=WEEKLY;COUNT=3",
        "invited_participants": [{"email": "retro-guest@example.org"}],
    }
    created = ok(rest(owner, "PUT", "session", body), 201)
    smtp.sink.wait_for(to("retro-guest@example.org"))
    moved = {"id": created["sessions"][1], "start_time": "2031-05-13 16:00:00"}
    ok(rest(owner, "POST", "session", moved))
    _, update = smtp.sink.wait_for(to("retro-guest@example.org"), count=2)
    main, override = calendar_of(update).walk("VEVENT")
    assert main["UID"] == override["UID"]
    assert override.decoded("RECURRENCE-ID").astimezone(UTC) == datetime(
        2031, 5, 12, 15, tzinfo=UTC
    )
    assert override.decoded("DTSTART").astimezone(UTC) == datetime(2031, 5, 13, 16, tzinfo=UTC)
    ok(rest(owner, "POST", "series", {"id": created["series_id"], "topic": "Retrospective"}))
    *_, changed = smtp.sink.wait_for(to("retro-guest@example.org"), count=3)
    main, _ = calendar_of(changed).walk("VEVENT")
    assert str(main["SUMMARY"]) == "Retrospective"
    assert int(main["SEQUENCE"]) > 0
