"""The `user` resource over real HTTP (CONTRACT §6): the account and its people."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.server import Server

USER_FIELDS = [
    "id",
    "login",
    "email",
    "first_name",
    "last_name",
    "timezone",
    "dst",
    "email_verified",
]


def me(client: httpx.Client) -> dict[str, object]:
    users = ok(client.get("user/format/json"))["users"]
    assert len(users) == 1
    return dict(users[0])


def test_get_user_is_the_account(make_account: MakeAccount) -> None:
    client = make_account(timezone="UP1", dst=True)
    account = me(client)
    assert list(account) == USER_FIELDS
    assert account["login"] == str(client.base_url).rstrip("/").split("/")[-1]
    assert account["timezone"] == "UP1"
    assert account["dst"] is True
    root = ET.fromstring(client.get("user").content)
    assert root.tag == "root"
    assert root.findtext("users/user/dst") == "1"


def test_post_user_edits_the_profile(make_account: MakeAccount) -> None:
    client = make_account()
    body = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "timezone": "UM5",
        "dst": 1,
        "email": "Ada@Example.com",
    }
    assert ok(rest(client, "POST", "user", body))["message"] == "User updated"
    account = me(client)
    assert account["first_name"] == "Ada"
    assert account["last_name"] == "Lovelace"
    assert account["timezone"] == "UM5"
    assert account["dst"] is True
    assert account["email"] == "Ada@example.com"


def test_new_account_timezone_applies_to_the_next_session_at_once(
    make_account: MakeAccount,
) -> None:
    client = make_account()
    ok(rest(client, "POST", "user", {"timezone": "UP1", "dst": 1}))
    body = {"topic": "T", "duration": 30, "start_time": "2010-07-10 18:00:00"}
    session_id = ok(rest(client, "PUT", "session", body), 201)["id"]
    session = ok(client.get(f"session/id/{session_id}/return/timezone;start_time_utc/format/json"))
    assert session["sessions"][0] == {"timezone": "UP1", "start_time_utc": "2010-07-10T16:00:00Z"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"dst": "maybe"}, "dst"),
        ({"email": "not-an-address"}, "email"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"login": "bad login"}, "login"),
    ],
)
def test_bad_profile_input_is_400_and_writes_nothing(
    make_account: MakeAccount, body: dict[str, object], field: str
) -> None:
    client = make_account()
    before = me(client)
    assert field in error(rest(client, "POST", "user", {"first_name": "Changed", **body}), 400)
    assert me(client) == before


def test_login_rename_answers_301_and_the_new_login_works(
    make_account: MakeAccount, server: Server
) -> None:
    client = make_account()
    old_login = me(client)["login"]
    assert isinstance(old_login, str)
    new_login = f"{old_login}-renamed"
    response = client.post(
        "user/format/json", data={"input_type": "json", "rest_data": f'{{"login":"{new_login}"}}'}
    )
    assert response.status_code == 301
    assert response.headers["location"] == f"/api/2/{new_login}/user"
    assert response.json()["message"] == "User updated"
    password = f"{old_login}-password"
    renamed = server.get(
        f"{server.base_url}/api/2/{new_login}/user/format/json", auth=(new_login, password)
    )
    assert renamed.json()["users"][0]["login"] == new_login
    old = server.get(f"{server.base_url}/api/2/{old_login}/user", auth=(old_login, password))
    assert old.status_code == 401


def test_login_rename_to_a_taken_login_is_409(make_account: MakeAccount) -> None:
    first, second = make_account(), make_account()
    taken = me(second)["login"]
    before = me(first)
    assert "taken" in error(rest(first, "POST", "user", {"login": taken, "first_name": "X"}), 409)
    assert me(first) == before


def test_login_rename_to_a_lookalike_is_409_but_a_case_change_of_ones_own_is_not(
    make_account: MakeAccount, server: Server
) -> None:
    first, second = make_account(), make_account()
    taken = str(me(second)["login"])
    message = error(rest(first, "POST", "user", {"login": taken.upper()}), 409)
    assert message == f"login '{taken.upper()}' is already taken"
    own = str(me(first)["login"])
    assert rest(first, "POST", "user", {"login": own.upper()}).status_code == 301
    password = f"{own}-password"
    renamed = server.get(
        f"{server.base_url}/api/2/{own.upper()}/user", auth=(own.upper(), password)
    )
    assert renamed.status_code == 200


def test_urls_match_the_login_exactly_as_stored(make_account: MakeAccount, server: Server) -> None:
    login = str(me(make_account())["login"])
    password = f"{login}-password"
    exact = server.get(f"{server.base_url}/api/2/{login}/authverify", auth=(login, password))
    assert exact.status_code == 200
    for other in (login.upper(), login.capitalize()):
        response = server.get(f"{server.base_url}/api/2/{other}/authverify", auth=(other, password))
        assert response.status_code == 401
        response = server.get(f"{server.base_url}/api/2/{other}/authverify", auth=(login, password))
        assert response.status_code == 401


def test_people_are_added_found_and_edited(make_account: MakeAccount) -> None:
    client = make_account()
    response = rest(client, "PUT", "user", {"email": "Robin@Arsenal.com", "first_name": "Robin"})
    body = ok(response, 201)
    assert body["message"] == "User added"
    person_id = body["id"]
    assert response.headers["location"].endswith(f"/user/id/{person_id}")
    person = ok(client.get(f"user/id/{person_id}/format/json"))["users"][0]
    assert person["email"] == "Robin@arsenal.com"
    assert person["login"] is None
    ok(rest(client, "POST", "user", {"id": person_id, "last_name": "van Persie"}))
    person = ok(client.get(f"user/id/{person_id}/format/json"))["users"][0]
    assert (person["first_name"], person["last_name"]) == ("Robin", "van Persie")
    assert me(client)["last_name"] == ""


def test_one_person_per_email_case_insensitive(make_account: MakeAccount) -> None:
    client = make_account()
    ok(rest(client, "PUT", "user", {"email": "same@example.com"}), 201)
    error(rest(client, "PUT", "user", {"email": "SAME@example.com"}), 409)
    other = ok(rest(client, "PUT", "user", {"email": "other@example.com"}), 201)["id"]
    error(rest(client, "POST", "user", {"id": other, "email": "Same@Example.com"}), 409)


def test_put_user_requires_an_email(make_account: MakeAccount) -> None:
    assert "email" in error(rest(make_account(), "PUT", "user", {"first_name": "X"}), 400)


def test_another_account_cannot_read_or_change_people(make_account: MakeAccount) -> None:
    owner, intruder = make_account(), make_account()
    person_id = ok(rest(owner, "PUT", "user", {"email": "p@example.com", "first_name": "P"}), 201)[
        "id"
    ]
    owner_id = me(owner)["id"]
    error(intruder.get(f"user/id/{person_id}/format/json"), 404)
    error(intruder.get(f"user/id/{owner_id}/format/json"), 404)
    error(rest(intruder, "POST", "user", {"id": person_id, "first_name": "Pwned"}), 404)
    error(rest(intruder, "POST", "user", {"id": owner_id, "first_name": "Pwned"}), 404)
    person = ok(owner.get(f"user/id/{person_id}/format/json"))["users"][0]
    assert person["first_name"] == "P"
    assert me(owner)["first_name"] == ""


def test_user_resource_refuses_delete(make_account: MakeAccount) -> None:
    response = make_account().delete("user/format/json")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PUT, POST"
