"""Registered invitees (CONTRACT §6a): an account invited at its verified address reads the
session, in its own zone, and nothing else; in every output format."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.php import run_php
from tests.support.smtp import SmtpServer

FORMATS = ["xml", "json", "serialize", "php", "html", "csv"]


def email_of(client: httpx.Client) -> str:
    return str(ok(client.get("user/format/json"))["users"][0]["email"])


def create(client: httpx.Client, **fields: Any) -> int:
    body = {"topic": "Cross-Atlantic", "duration": 30, "start_time": "2030-07-10 18:00:00"}
    return int(ok(rest(client, "PUT", "session", {**body, **fields}), 201)["id"])


def invite(client: httpx.Client, session_id: int, email: str, role: int = 2) -> int:
    body = {"session_id": session_id, "email": email, "role": role}
    return int(ok(rest(client, "PUT", "invitee", body), 201)["id"])


def link_of(owner: httpx.Client, session_id: int, email: str) -> str:
    groups = ok(owner.get(f"invitees/id/{session_id}/format/json"))
    for group in groups.values():
        for person in group:
            if person["email"] == email:
                return str(person["personal_session_link"])
    raise AssertionError(f"{email} is not invited to {session_id}")


@dataclass
class Invited:
    owner: httpx.Client
    guest: httpx.Client
    participant_of: int
    moderator_of: int


@pytest.fixture
def invited(make_account: MakeAccount) -> Invited:
    """An owner in Berlin (UP1, DST) inviting a registered guest in New York (UM5, DST) to
    one session as participant and to another as moderator, both with a passcode."""
    owner = make_account(timezone="UP1", dst=True)
    guest = make_account(timezone="UM5", dst=True)
    participant_of = create(owner, password="s3cret")
    moderator_of = create(owner, password="m0d", start_time="2030-01-10 18:00:00")
    invite(owner, participant_of, email_of(guest), role=2)
    invite(owner, moderator_of, email_of(guest), role=1)
    return Invited(owner, guest, participant_of, moderator_of)


def test_session_in_the_invitees_own_zone_with_role_and_link(invited: Invited) -> None:
    (mine,) = ok(invited.guest.get(f"session/id/{invited.participant_of}/format/json"))["sessions"]
    (theirs,) = ok(invited.owner.get(f"session/id/{invited.participant_of}/format/json"))[
        "sessions"
    ]
    assert mine["timezone"] == "UM5"
    assert mine["start_time"] == "2030-07-10 12:00:00"  # 16:00 UTC in New York's summer
    assert theirs["start_time"] == "2030-07-10 18:00:00"
    assert mine["role"] == 2
    assert mine["personal_session_link"] == link_of(
        invited.owner, invited.participant_of, email_of(invited.guest)
    )
    assert mine["password"] is None  # participants do not see the passcode
    assert mine["session_link"] == theirs["session_link"]
    assert {k: mine[k] for k in ("id", "topic", "duration", "custom_data")} == {
        k: theirs[k] for k in ("id", "topic", "duration", "custom_data")
    }
    assert list(mine)[: len(theirs)] == list(theirs)
    assert list(mine)[len(theirs) :] == ["role", "personal_session_link"]


def test_moderators_see_the_passcode_and_utc_is_unchanged(invited: Invited) -> None:
    fields = "return/id;start_time;timezone;password;start_time_utc;host_link"
    url = f"session/id/{invited.moderator_of}/{fields}/format/json"
    (mine,) = ok(invited.guest.get(url))["sessions"]
    (theirs,) = ok(invited.owner.get(url))["sessions"]
    assert mine["password"] == theirs["password"] == "m0d"
    assert mine["start_time"] == "2030-01-10 12:00:00"  # 17:00 UTC in New York's winter
    assert mine["start_time_utc"] == theirs["start_time_utc"] == "2030-01-10T17:00:00Z"
    assert mine["role"] == 1
    assert mine["host_link"] is None  # the owner's way in as moderator is the owner's only
    assert theirs["host_link"].startswith("http")


def test_invited_lists_the_sessions_with_paging_order_and_return(
    invited: Invited, make_account: MakeAccount
) -> None:
    other_owner = make_account()
    third = create(other_owner, start_time="2030-07-11 09:00:00")
    invite(other_owner, third, email_of(invited.guest).upper(), role=3)  # any case matches
    create(other_owner)  # not invited
    own = create(invited.guest)
    expected = [invited.participant_of, invited.moderator_of, third]

    response = invited.guest.get("sessions/invited/1/format/json")
    listed = ok(response)["sessions"]
    assert [s["id"] for s in listed] == expected
    assert [s["role"] for s in listed] == [2, 1, 3]
    assert response.headers["x-total-count"] == "3"
    assert {s["timezone"] for s in listed} == {"UM5"}

    page = invited.guest.get("sessions/invited/1/count/2/order/desc/format/json")
    assert [s["id"] for s in ok(page)["sessions"]] == expected[::-1][:2]
    assert 'rel="next"' in page.headers["link"]
    offset = invited.guest.get("sessions/invited/1/count/2/offset/2/format/json")
    assert [s["id"] for s in ok(offset)["sessions"]] == [third]

    chosen = ok(invited.guest.get("sessions/invited/1/return/id;topic/format/json"))
    assert list(chosen["sessions"][0]) == ["id", "topic", "role", "personal_session_link"]
    assert "Unknown field 'owner'" in error(
        invited.guest.get("sessions/invited/1/return/id;owner/format/json"), 400
    )

    owned = ok(invited.guest.get("sessions/format/json"))["sessions"]
    assert [s["id"] for s in owned] == [own]
    assert "role" not in owned[0]
    assert [
        s["id"] for s in ok(invited.guest.get("sessions/invited/0/format/json"))["sessions"]
    ] == [own]


def test_every_other_call_on_the_session_is_404(invited: Invited) -> None:
    guest, session_id = invited.guest, invited.moderator_of
    own_file = ok(rest(guest, "PUT", "file", {"file_link": "https://example.org/a.pdf"}), 201)
    person = ok(invited.owner.get(f"invitees/id/{session_id}/format/json"))["moderators"][0]
    calls = [
        rest(guest, "POST", "session", {"id": session_id, "topic": "Taken over"}),
        rest(guest, "DELETE", "session", {"id": session_id}),
        guest.get(f"invitees/id/{session_id}/format/json"),
        rest(guest, "PUT", "invitee", {"session_id": session_id, "email": "x@example.org"}),
        rest(guest, "POST", "invitee", {"session_id": session_id, "user_id": person["id"]}),
        rest(guest, "DELETE", "invitee", {"session_id": session_id, "user_id": person["id"]}),
        guest.get(f"recordings/session/{session_id}/format/json"),
        rest(
            guest,
            "PUT",
            "file_in_session",
            {"file_id": own_file["id"], "session_id": session_id},
        ),
    ]
    for response in calls:
        assert response.status_code == 404, (response.request.url, response.text)
    (session,) = ok(invited.owner.get(f"session/id/{session_id}/format/json"))["sessions"]
    assert session["topic"] == "Cross-Atlantic"
    assert len(ok(invited.owner.get(f"invitees/id/{session_id}/format/json"))["moderators"]) == 1


def test_withdrawn_invitation_or_deleted_session_ends_access(invited: Invited) -> None:
    guest_id = ok(invited.owner.get(f"invitees/id/{invited.participant_of}/format/json"))[
        "participants"
    ][0]["id"]
    body = {"session_id": invited.participant_of, "user_id": guest_id}
    ok(rest(invited.owner, "DELETE", "invitee", body))
    error(invited.guest.get(f"session/id/{invited.participant_of}/format/json"), 404)

    ok(rest(invited.owner, "DELETE", "session", {"id": invited.moderator_of}))
    error(invited.guest.get(f"session/id/{invited.moderator_of}/format/json"), 404)
    error(invited.owner.get(f"session/id/{invited.moderator_of}/format/json"), 410)
    response = invited.guest.get("sessions/invited/1/format/json")
    assert ok(response)["sessions"] == []
    assert response.headers["x-total-count"] == "0"


def test_strangers_and_unverified_addresses_see_nothing(
    invited: Invited, make_account: MakeAccount, smtp: SmtpServer
) -> None:
    stranger = make_account()
    error(stranger.get(f"session/id/{invited.participant_of}/format/json"), 404)
    claimant = make_account(timezone="UP10", dst=True)
    invited_address = "claimed@example.org"
    invite(invited.owner, invited.participant_of, invited_address)
    ok(rest(claimant, "POST", "user", {"email": invited_address}))
    assert ok(claimant.get("user/format/json"))["users"][0]["email_verified"] is False
    assert "does not exist" in error(
        claimant.get(f"session/id/{invited.participant_of}/format/json"), 404
    )
    assert ok(claimant.get("sessions/invited/1/format/json"))["sessions"] == []
    # the invitation mail shows the session's zone, not the unverified account's (UP10)
    invite(invited.owner, invited.moderator_of, invited_address)
    messages = smtp.sink.wait_for(
        lambda m: invited_address in str(m["To"]) and "Invitation" in str(m["Subject"]),
        count=2,
    )
    texts = [str(m.get_body(("plain",)).get_content()) for m in messages]  # type: ignore[union-attr]
    assert any("Europe/Berlin" in t and "CET (UTC+01:00)" in t for t in texts), texts
    assert not any("Australia/Sydney" in t for t in texts), texts


# --- every output format ---------------------------------------------------------------


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


PHP_READERS = {
    "serialize": "unserialize(file_get_contents('php://stdin'))",
    "php": "eval('return ' . file_get_contents('php://stdin') . ';')",
}


def items(response: httpx.Response, fmt: str, name: str) -> list[dict[str, str]]:
    """The items of the document's one list (`sessions`, `users`), every value as text the
    way XML shows it (null empty, booleans 1/0), decoded from the format by its own rules."""
    assert response.status_code == 200, response.text
    body = response.content
    if fmt == "xml":
        root = ET.fromstring(body)
        assert root.tag == "root"
        return [
            {child.tag: child.text or "" for child in item}
            for item in root.findall(f"{name}/{name[:-1]}")
        ]
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    if fmt == "html":
        parser = _Tables()
        parser.feed(body.decode("utf-8"))
        header, *rows = parser.rows
        return [dict(zip(header, row, strict=True)) for row in rows]
    if fmt == "json":
        data = response.json()
    else:
        code = f"echo json_encode({PHP_READERS[fmt]});"
        data = json.loads(run_php(code, stdin=body.decode("utf-8")))
    return [{k: _text(v) for k, v in item.items()} for item in data[name]]


FIELDS = "return/id;start_time;timezone;password;start_time_utc"


@pytest.mark.parametrize("fmt", FORMATS)
def test_invitee_documents_in_every_format(invited: Invited, fmt: str) -> None:
    link = link_of(invited.owner, invited.moderator_of, email_of(invited.guest))
    moderator = {
        "id": str(invited.moderator_of),
        "start_time": "2030-01-10 12:00:00",
        "timezone": "UM5",
        "password": "m0d",
        "start_time_utc": "2030-01-10T17:00:00Z",
        "role": "1",
        "personal_session_link": link,
    }
    one = invited.guest.get(f"session/id/{invited.moderator_of}/{FIELDS}/format/{fmt}")
    assert items(one, fmt, "sessions") == [moderator]
    listed = items(invited.guest.get(f"sessions/invited/1/{FIELDS}/format/{fmt}"), fmt, "sessions")
    assert [row["id"] for row in listed] == [str(invited.participant_of), str(invited.moderator_of)]
    assert listed[0]["password"] == ""
    assert listed[0]["start_time"] == "2030-07-10 12:00:00"
    assert listed[0]["role"] == "2"
    assert listed[1] == moderator


@pytest.mark.parametrize("fmt", FORMATS)
def test_email_verified_in_every_format(make_account: MakeAccount, fmt: str) -> None:
    client = make_account()
    (verified,) = items(client.get(f"user/format/{fmt}"), fmt, "users")
    assert verified["email_verified"] == "1"
    ok(rest(client, "POST", "user", {"email": f"new-{fmt}@example.org"}))
    (unverified,) = items(client.get(f"user/format/{fmt}"), fmt, "users")
    assert unverified["email"] == f"new-{fmt}@example.org"
    assert unverified["email_verified"] == "0"
    person = ok(rest(client, "PUT", "user", {"email": f"person-{fmt}@example.org"}), 201)["id"]
    (someone,) = items(client.get(f"user/id/{person}/format/{fmt}"), fmt, "users")
    assert someone["email_verified"] == ""  # a person has no account to verify
