"""The invitee forms of a session's page in-process, and the isolation and CSRF of every
session and invitee form of the account center."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, rest
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from tests.web.account.helpers import signed_in
from tests.web.account.test_sessions import FORM, field_error, invitees_of, post, shown, token
from tests.web.helpers import invite, login_of, new_session

NOT_FOUND = "This link leads to no session"


@pytest.fixture
def account(make_account: MakeAccount) -> httpx.Client:
    return make_account(timezone="UP1", dst=True)


@pytest.fixture
def browser(server: Server, account: httpx.Client) -> Iterator[httpx.Client]:
    with signed_in(server, login_of(account), f"{login_of(account)}-password") as client:
        yield client


def test_invite_someone_from_the_session_page(
    account: httpx.Client, browser: httpx.Client, smtp: SmtpServer
) -> None:
    created = new_session(account, topic="Open house")
    page = browser.get(f"/account/sessions/{created.id}")
    assert "Invite someone" in shown(page)
    path = f"/account/sessions/{created.id}/invitees"
    response = post(browser, path, email="added@example.com", first_name="Ada",
                    last_name="Added", role="3", send="1")  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == f"/account/sessions/{created.id}"
    (person,) = invitees_of(account, created.id)
    assert (person["email"], person["first_name"], person["role"]) == (
        "added@example.com",
        "Ada",
        3,
    )
    after = shown(browser.get(f"/account/sessions/{created.id}"))
    assert "The invitee is added." in after
    assert "Ada Added <added@example.com> · observer" in after
    (mail,) = smtp.sink.wait_for(lambda m: "added@example.com" in str(m["To"]))
    assert str(mail["Subject"]).startswith("Invitation: Open house")


def test_a_past_sessions_invite_form_mails_nobody_unless_ticked(
    account: httpx.Client, browser: httpx.Client
) -> None:
    past = new_session(account, topic="Last year", start_time="2025-03-01 10:00:00")
    page = browser.get(f"/account/sessions/{past.id}").text
    assert "This meeting is in the past: nobody is e-mailed unless you tick the box." in page
    assert 'name="send" value="1">' in page  # not ticked
    future = browser.get(f"/account/sessions/{new_session(account).id}").text
    assert 'name="send" value="1" checked>' in future
    assert "This meeting is in the past" not in future


def test_a_refused_invitee_keeps_what_was_typed(
    account: httpx.Client, browser: httpx.Client
) -> None:
    created = new_session(account)
    path = f"/account/sessions/{created.id}/invitees"
    body = {"session_id": created.id, "email": "no-at-sign", "send_email_invitation": 0}
    message = error(rest(account, "PUT", "invitee", body), 400)
    bad = post(browser, path, email="no-at-sign", first_name="Typed", role="2", send="1")
    assert bad.status_code == 400
    assert field_error(bad, "email") == message
    assert 'value="no-at-sign"' in bad.text
    assert 'value="Typed"' in bad.text
    missing = post(browser, path, first_name="Nobody", role="2")
    assert missing.status_code == 400
    assert field_error(missing, "email") == "email is required"
    assert invitees_of(account, created.id) == []
    invite(account, created.id, email="twice@example.com")
    body = {"session_id": created.id, "email": "twice@example.com", "send_email_invitation": 0}
    message = error(rest(account, "PUT", "invitee", body), 409)
    twice = post(browser, path, email="twice@example.com", role="2")
    assert twice.status_code == 409
    assert field_error(twice, "email") == message
    assert len(invitees_of(account, created.id)) == 1


def test_change_an_invitees_names_and_role(account: httpx.Client, browser: httpx.Client) -> None:
    created = new_session(account)
    user_id, _ = invite(account, created.id, email="change@example.com", role=2)
    path = f"/account/sessions/{created.id}/invitees/{user_id}"
    key = f"invitee-{user_id}-"
    response = post(browser, path, **{key + "first_name": "New", key + "last_name": "Name",
                                      key + "role": "1"})  # fmt: skip
    assert response.status_code == 303
    (person,) = invitees_of(account, created.id)
    assert (person["first_name"], person["last_name"], person["role"]) == ("New", "Name", 1)
    assert "The invitee is saved." in shown(browser.get(response.headers["location"]))
    long = post(browser, path, **{key + "first_name": "x" * 101, key + "last_name": "Kept",
                                  key + "role": "3"})  # fmt: skip
    assert long.status_code == 400
    assert field_error(long, key + "first_name") == "first_name must be at most 100 characters long"
    assert f'value="{"x" * 101}"' in long.text
    assert 'value="Kept"' in long.text
    role = post(browser, path, **{key + "first_name": "Other", key + "role": "9"})
    body = {"session_id": created.id, "user_id": user_id, "role": 9}
    assert field_error(role, key + "role") == error(rest(account, "POST", "invitee", body), 400)
    (person,) = invitees_of(account, created.id)
    assert (person["first_name"], person["last_name"], person["role"]) == ("New", "Name", 1)


def test_resend_and_remove(account: httpx.Client, browser: httpx.Client, smtp: SmtpServer) -> None:
    created = new_session(account, topic="Resent")
    user_id, link = invite(account, created.id, email="resend@example.com")
    base = f"/account/sessions/{created.id}/invitees/{user_id}"
    page = shown(browser.get(f"/account/sessions/{created.id}"))
    assert "Resend invitation to Robin van Persie" in page
    response = post(browser, f"{base}/resend")
    assert response.status_code == 303
    assert "The invitation is on its way again." in shown(browser.get(response.headers["location"]))
    smtp.sink.wait_for(lambda m: "resend@example.com" in str(m["To"]))
    assert post(browser, f"{base}/resend").status_code == 303
    smtp.sink.wait_for(lambda m: "resend@example.com" in str(m["To"]), count=2)
    removed = post(browser, f"{base}/remove")
    assert removed.status_code == 303
    assert invitees_of(account, created.id) == []
    assert browser.get(httpx.URL(link).path).status_code == 404
    assert "Nobody is invited." in shown(browser.get(removed.headers["location"]))


# --- isolation and CSRF -------------------------------------------------------------------


def form_paths(session_id: int, user_id: int) -> list[str]:
    invitee = f"/account/sessions/{session_id}/invitees/{user_id}"
    return [
        f"/account/sessions/{session_id}/edit",
        f"/account/sessions/{session_id}/delete",
        f"/account/sessions/{session_id}/invitees",
        invitee,
        f"{invitee}/resend",
        f"{invitee}/remove",
    ]


def test_a_strangers_session_or_invitee_is_not_found(
    make_account: MakeAccount, account: httpx.Client, browser: httpx.Client, smtp: SmtpServer
) -> None:
    stranger = make_account()
    theirs = new_session(stranger, topic="Not yours")
    their_guest, _ = invite(stranger, theirs.id, email="their-guest@example.com")
    mine = new_session(account, topic="Mine")
    my_guest, _ = invite(account, mine.id, email="my-guest@example.com")
    other = new_session(account, topic="Other of mine")
    fields = {**FORM, "email": "intruder@example.com", "first_name": "Intruder", "role": "x",
              f"invitee-{their_guest}-role": "x", f"invitee-{my_guest}-role": "x"}  # fmt: skip
    wrong = [
        *form_paths(theirs.id, their_guest),  # a stranger's session
        *form_paths(999_999_999, my_guest),  # no such session
        *form_paths(mine.id, their_guest)[3:],  # a stranger's person in my session
        *form_paths(other.id, my_guest)[3:],  # my person, not invited to this session
    ]
    for path in wrong:
        for response in (browser.get(path), post(browser, path, **fields)):
            assert response.status_code == 404, path
            assert NOT_FOUND in response.text
            assert "Not yours" not in response.text
    assert [p["email"] for p in invitees_of(stranger, theirs.id)] == ["their-guest@example.com"]
    assert stranger.get(f"session/id/{theirs.id}/format/json").json()["sessions"][0]["topic"] == (
        "Not yours"
    )
    assert [p["email"] for p in invitees_of(account, mine.id)] == ["my-guest@example.com"]
    assert invitees_of(account, other.id) == []
    for path in form_paths(mine.id, my_guest)[2:]:  # a form's address opened: its page
        response = browser.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/account/sessions/{mine.id}"


def test_every_form_needs_its_csrf_token(account: httpx.Client, browser: httpx.Client) -> None:
    mine = new_session(account, topic="Guarded")
    guest, _ = invite(account, mine.id, email="guarded@example.com")
    for path in ["/account/sessions/new", *form_paths(mine.id, guest)]:
        for data in ({**FORM, "email": "forged@example.com"}, {"csrf": "0" * 64, **FORM}):
            response = browser.post(path, data=data)
            assert response.status_code == 403, path
            assert "This form was refused" in response.text
    assert [s["topic"] for s in account.get("sessions/format/json").json()["sessions"]] == [
        "Guarded"
    ]
    assert [p["email"] for p in invitees_of(account, mine.id)] == ["guarded@example.com"]
    assert token(browser)  # still signed in
