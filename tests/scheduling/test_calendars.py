"""Sessions as iCalendar: `GET session/id/N/format/ics` and the private calendar feed."""

from __future__ import annotations

from typing import Any

import httpx
from icalendar import Calendar
from tests.conftest import MakeAccount
from tests.mail.test_delivery import event_of, to
from tests.support.api import error, ok, rest
from tests.support.server import Server
from tests.support.smtp import SmtpServer


def email_of(client: httpx.Client) -> str:
    return str(ok(client.get("user/format/json"))["users"][0]["email"])


def create(client: httpx.Client, **fields: Any) -> int:
    body = {"topic": "Planning", "duration": 45, "start_time": "2030-05-04 09:30:00", **fields}
    return int(ok(rest(client, "PUT", "session", body), 201)["id"])


def invite(client: httpx.Client, session_id: int, email: str, **extra: Any) -> None:
    ok(rest(client, "PUT", "invitee", {"session_id": session_id, "email": email, **extra}), 201)


def events(body: bytes) -> dict[str, Any]:
    """The calendar's events by UID."""
    return {str(e["UID"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


def feed_url(client: httpx.Client) -> str:
    return str(ok(rest(client, "POST", "calendar_feed"))["url"])


def test_the_owner_downloads_a_session_as_an_event(make_account: MakeAccount) -> None:
    owner = make_account()
    session_id = create(owner)
    response = owner.get(f"session/id/{session_id}/format/ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    (event,) = events(response.content).values()
    assert str(event["UID"]).startswith(f"session-{session_id}@")
    assert event.decoded("DTSTART").isoformat() == "2030-05-04T09:30:00+00:00"
    assert event.decoded("DTEND").isoformat() == "2030-05-04T10:15:00+00:00"
    assert str(event["SUMMARY"]) == "Planning"
    assert "/host/" in str(event["URL"])
    assert owner.get(f"session/id/{session_id}.ics").content.count(b"BEGIN:VEVENT") == 1


def test_the_event_has_the_uid_and_sequence_of_the_invitation_mail(
    make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner, guest = make_account(), make_account()
    session_id = create(owner)
    ok(rest(owner, "POST", "session", {"id": session_id, "start_time": "2030-05-05 09:30:00"}))
    invite(owner, session_id, email_of(guest))
    (mail,) = smtp.sink.wait_for(to(email_of(guest)))
    _, mailed = event_of(mail)
    (mine,) = events(guest.get(f"session/id/{session_id}/format/ics").content).values()
    (theirs,) = events(owner.get(f"session/id/{session_id}/format/ics").content).values()
    assert str(mine["UID"]) == str(theirs["UID"]) == str(mailed["UID"])
    assert int(mine["SEQUENCE"]) == int(mailed["SEQUENCE"])
    assert str(mine["URL"]) == str(mailed["URL"])  # the guest's personal link
    assert str(mine["ATTENDEE"]).lower() == f"mailto:{email_of(guest)}".lower()


def test_ics_of_another_accounts_session_is_404(make_account: MakeAccount) -> None:
    owner, stranger = make_account(), make_account()
    session_id = create(owner)
    error(stranger.get(f"session/id/{session_id}/format/json"), 404)
    response = stranger.get(f"session/id/{session_id}/format/ics")
    assert response.status_code == 404
    assert b"BEGIN:VCALENDAR" not in response.content


def test_other_resources_refuse_ics(make_account: MakeAccount) -> None:
    client = make_account()
    response = client.get("sessions/format/ics")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/xml")  # the default
    assert "does not answer in the ics format" in response.text


def test_the_feed_lists_owned_and_invited_sessions(
    make_account: MakeAccount, server: Server
) -> None:
    owner, guest = make_account(), make_account()
    owned = create(guest, topic="Mine")
    invited = create(owner, topic="Theirs")
    not_invited = create(owner, topic="Not for the guest")
    invite(owner, invited, email_of(guest), send_email_invitation=False)
    url = feed_url(guest)
    assert ok(guest.get("calendar_feed/format/json"))["url"] == url
    with server.client() as web:
        response = web.get(url)
    assert response.status_code == 200
    found = events(response.content)
    assert sorted(str(e["SUMMARY"]) for e in found.values()) == ["Mine", "Theirs"]
    assert not any(uid.startswith(f"session-{not_invited}@") for uid in found)
    own_uid = next(iter(events(guest.get(f"session/id/{owned}/format/ics").content)))
    invited_uid = next(iter(events(guest.get(f"session/id/{invited}/format/ics").content)))
    assert set(found) == {own_uid, invited_uid}


def test_a_new_link_or_off_stops_the_old_address(make_account: MakeAccount, server: Server) -> None:
    client = make_account()
    create(client)
    first = feed_url(client)
    second = feed_url(client)
    assert first != second
    with server.client() as web:
        assert web.get(first).status_code == 404
        assert web.get(second).status_code == 200
        off = ok(client.delete("calendar_feed/format/json"))
        assert off["enabled"] is False
        assert web.get(second).status_code == 404
        assert web.get("/calendar/made-up.ics").status_code == 404
    assert ok(client.get("calendar_feed/format/json")) == {"enabled": False, "url": ""}
    third = feed_url(client)
    with server.client() as web:
        assert web.get(third).status_code == 200


def test_feeds_are_per_account(make_account: MakeAccount, server: Server) -> None:
    alice, bob = make_account(), make_account()
    create(alice, topic="Alice only")
    create(bob, topic="Bob only")
    alice_url, bob_url = feed_url(alice), feed_url(bob)
    with server.client() as web:
        alice_topics = [str(e["SUMMARY"]) for e in events(web.get(alice_url).content).values()]
        bob_topics = [str(e["SUMMARY"]) for e in events(web.get(bob_url).content).values()]
    assert alice_topics == ["Alice only"]
    assert bob_topics == ["Bob only"]
    ok(bob.delete("calendar_feed/format/json"))
    with server.client() as web:
        assert web.get(alice_url).status_code == 200  # bob's off is bob's only
