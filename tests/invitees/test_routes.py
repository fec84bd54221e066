"""invitee / invitees and invited_participants over real HTTP (CONTRACT §3, §6)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.server import Server
from tests.support.smtp import SmtpServer


def new_session(client: httpx.Client, **fields: Any) -> int:
    body = {"topic": "Planning", "duration": 45, "start_time": "2030-05-04 15:00:00", **fields}
    return int(ok(rest(client, "PUT", "session", body), 201)["id"])


def invitees(client: httpx.Client, session_id: int, role: str = "all") -> dict[str, Any]:
    return dict(ok(client.get(f"invitees/id/{session_id}/role/{role}/format/json")))


@pytest.fixture
def owner(make_account: MakeAccount) -> httpx.Client:
    return make_account()


def test_put_invitee_with_the_documented_body(owner: httpx.Client, server: Server) -> None:
    session_id = new_session(owner)
    body = {
        "session_id": session_id,
        "email": "robin@arsenal.com",
        "first_name": "Robin",
        "last_name": "van Persie",
        "send_email_invitation": False,
        "role": 1,
    }
    response = rest(owner, "PUT", "invitee", body)
    created = ok(response, 201)
    assert created["message"] == "Invitee added"
    groups = invitees(owner, session_id)
    assert list(groups) == ["moderators", "participants", "observers"]
    (robin,) = groups["moderators"]
    assert robin["id"] == created["id"]
    assert (robin["first_name"], robin["last_name"], robin["email"]) == (
        "Robin",
        "van Persie",
        "robin@arsenal.com",
    )
    assert robin["role"] == 1
    link = robin["personal_session_link"]
    assert re.fullmatch(rf"{server.base_url}/acct\d+/go/[A-Za-z0-9_-]{{32}}", link)
    assert groups["participants"] == []


def test_invitees_xml_uses_item_elements(owner: httpx.Client) -> None:
    session_id = new_session(owner)
    ok(
        rest(
            owner,
            "PUT",
            "invitee",
            {"session_id": session_id, "email": "a@example.com", "send_email_invitation": 0},
        ),
        201,
    )
    root = ET.fromstring(owner.get(f"invitees/id/{session_id}").content)
    assert root.tag == "xml"
    assert [child.tag for child in root] == ["moderators", "participants", "observers"]
    assert root.findtext("participants/item/email") == "a@example.com"


def test_role_filter(owner: httpx.Client) -> None:
    session_id = new_session(owner)
    for email, role in (("m@example.com", 1), ("p@example.com", 2), ("o@example.com", 3)):
        body = {"session_id": session_id, "email": email, "role": role, "send_email_invitation": 0}
        ok(rest(owner, "PUT", "invitee", body), 201)
    only = invitees(owner, session_id, "observers")
    assert list(only) == ["observers"]
    assert [i["email"] for i in only["observers"]] == ["o@example.com"]
    assert "role" in error(owner.get(f"invitees/id/{session_id}/role/hosts/format/json"), 400)


def test_same_person_twice_is_409_case_insensitively(owner: httpx.Client) -> None:
    session_id = new_session(owner)
    body = {"session_id": session_id, "email": "dup@example.com", "send_email_invitation": 0}
    first = ok(rest(owner, "PUT", "invitee", body), 201)["id"]
    error(rest(owner, "PUT", "invitee", {**body, "email": "DUP@Example.com"}), 409)
    other_session = new_session(owner)
    again = ok(rest(owner, "PUT", "invitee", {**body, "session_id": other_session}), 201)["id"]
    assert again == first  # one person per e-mail within the account


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "x@example.com", "role": 4}, "role"),
        ({"email": "x@example.com", "role": "boss"}, "role"),
        ({}, "email"),
        ({"email": "x@example.com", "send_email_invitation": "perhaps"}, "send_email_invitation"),
    ],
)
def test_bad_invitee_is_400_and_writes_nothing(
    owner: httpx.Client, body: dict[str, Any], field: str
) -> None:
    session_id = new_session(owner)
    before = invitees(owner, session_id)
    assert field in error(rest(owner, "PUT", "invitee", {"session_id": session_id, **body}), 400)
    assert invitees(owner, session_id) == before


def test_post_invitee_changes_the_role(owner: httpx.Client) -> None:
    session_id = new_session(owner)
    body = {"session_id": session_id, "email": "r@example.com", "send_email_invitation": 0}
    user_id = ok(rest(owner, "PUT", "invitee", body), 201)["id"]
    change = {"session_id": session_id, "user_id": user_id, "role": 3, "send_email_invitation": 0}
    assert ok(rest(owner, "POST", "invitee", change)) == {
        "id": user_id,
        "message": "Invitation was updated",
    }
    assert [i["id"] for i in invitees(owner, session_id)["observers"]] == [user_id]


def test_delete_invitee_revokes_the_link(server: Server, owner: httpx.Client) -> None:
    session_id = new_session(owner)
    body = {"session_id": session_id, "email": "gone@example.com", "send_email_invitation": 0}
    user_id = ok(rest(owner, "PUT", "invitee", body), 201)["id"]
    link = invitees(owner, session_id)["participants"][0]["personal_session_link"]
    assert server.get(link).status_code == 200
    assert ok(rest(owner, "DELETE", "invitee", {"session_id": session_id, "user_id": user_id})) == {
        "id": user_id,
        "message": "Invitee deleted",
    }
    assert invitees(owner, session_id)["participants"] == []
    assert server.get(link).status_code == 404
    error(rest(owner, "DELETE", "invitee", {"session_id": session_id, "user_id": user_id}), 404)


def test_invited_participants_on_put_and_post_session(owner: httpx.Client) -> None:
    session_id = new_session(
        owner,
        invited_participants=[
            {
                "email": "email@domain.com",
                "first_name": "First Name",
                "last_name": "Last Name",
                "role": 1,
                "send_email_invitation": 0,
            },
            {
                "email": "email2@domain.com",
                "first_name": "First Name2",
                "last_name": "Last Name2",
                "role": 2,
                "send_email_invitation": False,
            },
        ],
    )
    groups = invitees(owner, session_id)
    assert [i["email"] for i in groups["moderators"]] == ["email@domain.com"]
    assert [i["email"] for i in groups["participants"]] == ["email2@domain.com"]
    update = {
        "id": session_id,
        "invited_participants": [
            {"email": "EMAIL2@domain.com", "role": 3, "send_email_invitation": 0},
            {"email": "new@domain.com", "send_email_invitation": 0},
        ],
    }
    ok(rest(owner, "POST", "session", update))
    groups = invitees(owner, session_id)
    assert [i["email"] for i in groups["moderators"]] == ["email@domain.com"]  # kept
    assert [i["email"] for i in groups["participants"]] == ["new@domain.com"]
    assert [i["email"] for i in groups["observers"]] == ["email2@domain.com"]


def test_invited_participants_in_php_bracket_form(owner: httpx.Client) -> None:
    form = (
        "topic=Form&duration=30&start_time=2030-01-01+10%3A00%3A00"
        "&invited_participants%5B0%5D%5Bemail%5D=form%40example.com"
        "&invited_participants%5B0%5D%5Brole%5D=3"
        "&invited_participants%5B0%5D%5Bsend_email_invitation%5D=0"
    )
    response = owner.put(
        "session/format/json",
        content=form,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    session_id = ok(response, 201)["id"]
    assert [i["email"] for i in invitees(owner, session_id)["observers"]] == ["form@example.com"]


def test_a_bad_participant_rolls_back_the_whole_session(owner: httpx.Client) -> None:
    before = ok(owner.get("sessions/return/id/format/json"))["sessions"]
    body = {
        "topic": "T",
        "duration": 5,
        "start_time": "2030-01-01 10:00:00",
        "invited_participants": [{"email": "fine@example.com"}, {"email": "broken"}],
    }
    assert "invited_participants[1].email" in error(rest(owner, "PUT", "session", body), 400)
    assert ok(owner.get("sessions/return/id/format/json"))["sessions"] == before


def test_invitees_of_another_account_are_404(
    owner: httpx.Client, make_account: MakeAccount
) -> None:
    session_id = new_session(owner)
    body = {"session_id": session_id, "email": "mine@example.com", "send_email_invitation": 0}
    user_id = ok(rest(owner, "PUT", "invitee", body), 201)["id"]
    before = invitees(owner, session_id)
    intruder = make_account()
    error(intruder.get(f"invitees/id/{session_id}/format/json"), 404)
    error(rest(intruder, "PUT", "invitee", {**body, "email": "evil@example.com"}), 404)
    change = {"session_id": session_id, "user_id": user_id, "role": 1}
    error(rest(intruder, "POST", "invitee", change), 404)
    error(rest(intruder, "DELETE", "invitee", {"session_id": session_id, "user_id": user_id}), 404)
    assert invitees(owner, session_id) == before


def test_invitees_of_a_deleted_session_are_410(owner: httpx.Client) -> None:
    session_id = new_session(owner)
    ok(rest(owner, "DELETE", "session", {"id": session_id}))
    error(owner.get(f"invitees/id/{session_id}/format/json"), 410)


def test_no_mail_when_send_email_invitation_is_false(owner: httpx.Client, smtp: SmtpServer) -> None:
    session_id = new_session(owner)
    quiet = {"session_id": session_id, "email": "quiet@example.com", "send_email_invitation": 0}
    loud = {"session_id": session_id, "email": "loud@example.com"}
    ok(rest(owner, "PUT", "invitee", quiet), 201)
    ok(rest(owner, "PUT", "invitee", loud), 201)
    smtp.sink.wait_for(lambda m: "loud@example.com" in str(m["To"]))
    assert smtp.sink.to("quiet@example.com") == []
