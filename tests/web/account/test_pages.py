"""The account center's pages in-process: sign-in, its cookie and CSRF, sessions, settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.app import AppServer
from tests.support.clock import Clock
from tests.support.server import Server
from tests.web.account.helpers import csrf_of, post_form, sign_in_form, signed_in
from tests.web.helpers import login_of, new_session
from tests.web.test_pages import assert_page_headers, visible_text

from onstream.clock import utcnow
from onstream.users import service, tokens
from onstream.users.tables import account_sessions

NOT_FOUND = "This link leads to no session"


def password_of(client: httpx.Client) -> str:
    return f"{login_of(client)}-password"


@pytest.fixture
def browser(server: Server, owner: httpx.Client) -> Iterator[httpx.Client]:
    """The owner (UP1, DST on), signed in to the account center."""
    with signed_in(server, login_of(owner), password_of(owner)) as client:
        yield client


# --- signing in and out ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/account", "/account/settings", "/account/sessions/1", "/account?past=20"]
)
def test_every_page_asks_to_sign_in(server: Server, path: str) -> None:
    response = server.get(path)
    assert response.status_code == 303
    target = path.replace("?", "%3F").replace("=", "%3D")
    assert response.headers["location"] == f"/account/sign-in?next={target}"
    assert server.post("/account/sign-out").status_code == 303


def test_the_root_and_the_api_docs_lead_to_the_account(server: Server) -> None:
    response = server.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    assert 'href="/account"' in server.get("/docs").text
    assert 'href="/account"' in server.get("/docs/guide").text


def test_sign_in_sets_a_session_cookie_and_stores_only_its_hash(
    server: Server, make_account: MakeAccount
) -> None:
    account = make_account()
    with server.client() as client:
        response = sign_in_form(client, login_of(account), password_of(account))
        assert response.status_code == 303
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("onstream_account=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Path=/account" in cookie
        assert "Secure" not in cookie  # the base URL is http here
        secret = client.cookies["onstream_account"]
        stored = [r["secret_hash"] for r in server.query(select(account_sessions))]
        assert secret not in stored
        home = client.get("/account")
        assert home.status_code == 200
        assert_page_headers(home)
        assert "Your sessions" in home.text


def test_sign_in_ignores_the_case_of_the_login(server: Server, make_account: MakeAccount) -> None:
    account = make_account()
    with signed_in(server, login_of(account).upper(), password_of(account)) as client:
        assert f"Sign out {login_of(account)}" in visible_text(client.get("/account").text)


def test_wrong_password_keeps_the_login_and_says_what_the_api_says(
    server: Server, make_account: MakeAccount
) -> None:
    account = make_account()
    with server.client() as client:
        response = sign_in_form(client, login_of(account), "not-the-password")
        assert response.status_code == 400
        assert "Wrong login or password" in visible_text(response.text)
        assert f'value="{login_of(account)}"' in response.text
        assert "not-the-password" not in response.text
        assert "onstream_account" not in client.cookies


def test_an_api_token_does_not_sign_in(server: Server, make_account: MakeAccount) -> None:
    account = make_account()
    login = login_of(account)
    token = server.run(lambda conn: tokens.create_token(conn, login=login, name="ci"))
    assert server.get(f"{server.base_url}/api/2/{login}/authverify", auth=(login, token)).is_success
    with server.client() as client:
        response = sign_in_form(client, login, token)
        assert response.status_code == 400
        assert "onstream_account" not in client.cookies


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(
    server: Server, make_account: MakeAccount
) -> None:
    account = make_account()
    login, password = login_of(account), password_of(account)
    with signed_in(server, login, password) as client:
        assert client.get("/account").status_code == 200
        assert server.cli("user", "disable", login).returncode == 0
        assert client.get("/account").status_code == 303  # back to the sign-in page
        with server.client() as other:
            # absent, as on the API: the right password is answered as a wrong one, so a
            # guesser cannot tell when they found it
            right = sign_in_form(other, login, password)
            wrong = sign_in_form(other, login, "not-the-password")
            assert right.status_code == wrong.status_code == 400
            assert visible_text(right.text) == visible_text(wrong.text)
            assert "onstream_account" not in other.cookies
        assert server.cli("user", "enable", login).returncode == 0
    with signed_in(server, login, password) as client:
        assert client.get("/account").status_code == 200


def test_next_goes_back_to_a_local_path_only(server: Server, make_account: MakeAccount) -> None:
    account = make_account()
    login, password = login_of(account), password_of(account)
    for target, expected in [
        ("/account/settings", "/account/settings"),
        ("//evil.example/x", "/account"),
        ("https://evil.example/", "/account"),
        ("/\\evil.example", "/account"),
    ]:
        with server.client() as client:
            response = sign_in_form(client, login, password, next=target)
            assert response.headers["location"] == expected


def test_sign_out_ends_the_session(server: Server, make_account: MakeAccount) -> None:
    account = make_account()
    with signed_in(server, login_of(account), password_of(account)) as client:
        secret = client.cookies["onstream_account"]
        home = client.get("/account")
        out = client.post("/account/sign-out", data={"csrf": csrf_of(home.text)})
        assert out.status_code == 303
        assert out.headers["location"] == "/account/sign-in"
        assert "You are signed out." in client.get("/account/sign-in").text
        assert client.get("/account").status_code == 303
        with server.client(cookies={"onstream_account": secret}) as replay:
            assert replay.get("/account").status_code == 303


def test_sessions_expire_when_idle_and_at_last_anyway(
    server: Server, make_account: MakeAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = make_account()
    clock = Clock().install(monkeypatch)
    login, password = login_of(account), password_of(account)
    with signed_in(server, login, password) as idle, signed_in(server, login, password) as busy:
        clock.advance(10 * 86400)
        assert busy.get("/account").status_code == 200  # seen on day 10
        clock.advance(10 * 86400)
        assert idle.get("/account").status_code == 303  # 20 days without a request
        assert busy.get("/account").status_code == 200  # 10 days since day 10
        clock.advance(10 * 86400)
        assert busy.get("/account").status_code == 303  # 30 days after signing in


# --- CSRF ----------------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_is_refused(server: Server, browser: httpx.Client) -> None:
    for data in ({"section": "profile", "first_name": "Forged"}, {"csrf": "0" * 64}):
        response = browser.post("/account/settings", data=data)
        assert response.status_code == 403
        assert "This form was refused" in response.text
        assert_page_headers(response)
    assert "Forged" not in browser.get("/account/settings").text
    assert browser.post("/account/sign-out", data={}).status_code == 403
    assert browser.get("/account").status_code == 200  # still signed in


def test_the_sign_in_form_has_a_csrf_token_too(server: Server, make_account: MakeAccount) -> None:
    account = make_account()
    data = {"login": login_of(account), "password": password_of(account), "csrf": "x"}
    with server.client() as client:
        assert client.post("/account/sign-in", data=data).status_code == 403
        assert "onstream_account" not in client.cookies


# --- the sessions --------------------------------------------------------------------------


def test_home_lists_sessions_on_the_accounts_clock(
    server: Server, owner: httpx.Client, browser: httpx.Client
) -> None:
    created = new_session(owner, topic="Summer planning")
    new_session(owner, topic="Old retro", start_time="2020-01-15 09:00:00")
    text = visible_text(browser.get("/account").text)
    upcoming, past = text.split("Past sessions", 1)
    assert (
        "Summer planning Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST · 45 minutes"
        in upcoming
    )
    assert "Old retro Wednesday, 15 January 2020, Europe/Berlin · 09:00 CET" in past
    assert "Summer planning" not in past
    html = browser.get("/account").text
    assert f'href="/account/sessions/{created.id}"' in html
    assert f"/{created.login}/host/" in html  # Start: the owner's host link


def test_an_invitation_whose_room_is_open_is_under_now_with_join(
    server: Server, make_account: MakeAccount
) -> None:
    owner = make_account(timezone="UTC")
    reader = make_account(timezone="UTC")
    start = f"{utcnow() - timedelta(minutes=5):%Y-%m-%d %H:%M:%S}"
    live = new_session(owner, topic="Stand-up now", start_time=start, duration=30)
    address = ok(reader.get("user/format/json"))["users"][0]["email"]
    body = {"session_id": live.id, "email": address, "send_email_invitation": False}
    ok(rest(owner, "PUT", "invitee", body), 201)
    with signed_in(server, login_of(reader), password_of(reader)) as client:
        page = client.get("/account").text
    text = visible_text(page)
    now, rest_of_page = text.split("Upcoming sessions", 1)
    assert "Stand-up now" in now
    assert "Join Stand-up now" in now
    assert "Stand-up now" not in rest_of_page
    assert f"/{login_of(owner)}/go/" in page


def test_session_page_shows_links_and_invitees(
    server: Server, owner: httpx.Client, browser: httpx.Client
) -> None:
    created = new_session(owner, topic="Kick-off", password="s3cret")
    rest(owner, "PUT", "invitee", {"session_id": created.id, "email": "ann@example.com",
                                   "first_name": "Ann", "last_name": "Lee", "role": 1,
                                   "send_email_invitation": 0})  # fmt: skip
    response = browser.get(f"/account/sessions/{created.id}")
    assert response.status_code == 200
    text = visible_text(response.text)
    assert "Kick-off" in text
    assert "Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST" in text
    assert created.session_link in text
    assert "Ann Lee &lt;ann@example.com&gt; · moderator" in text
    assert "Start as moderator" in text
    assert "Passcode s3cret" in text  # its owner reads it here, as GET session gives it


def test_a_session_in_another_place_shows_its_own_wall_time_too(
    owner: httpx.Client, browser: httpx.Client
) -> None:
    tokyo = new_session(owner, topic="Tokyo sync", timezone="Asia/Tokyo")
    text = visible_text(browser.get(f"/account/sessions/{tokyo.id}").text)
    # 18:00 in Tokyo is 11:00 in Berlin (summer time), the owner's clock (UP1 with DST)
    assert "Starts Wednesday, 10 July 2030, Europe/Berlin · 11:00 CEST" in text
    assert "In the session's zone Wednesday, 10 July 2030, Asia/Tokyo · 18:00 JST" in text
    berlin = new_session(owner, topic="Berlin sync", timezone="Europe/Berlin")
    text = visible_text(browser.get(f"/account/sessions/{berlin.id}").text)
    assert "Starts Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST" in text
    assert "In the session's zone" not in text  # the owner's own clock: said once


def test_another_accounts_session_is_not_found(
    server: Server, make_account: MakeAccount, browser: httpx.Client
) -> None:
    stranger = make_account()
    theirs = new_session(stranger, topic="Private matters")
    for path in (
        f"/account/sessions/{theirs.id}",
        "/account/sessions/999999999",
    ):
        response = browser.get(path)
        assert response.status_code == 404
        assert NOT_FOUND in response.text
        assert "Private matters" not in response.text
    for path in ("/account/sessions/abc", f"/account/sessions/{theirs.id}/nothing"):
        response = browser.get(path)
        assert response.status_code == 404
        assert "There is no such page" in response.text
    assert "Private matters" not in browser.get("/account").text


def test_a_deleted_session_is_not_found(owner: httpx.Client, browser: httpx.Client) -> None:
    created = new_session(owner, topic="Cancelled")
    rest(owner, "DELETE", "session", {"id": created.id})
    assert browser.get(f"/account/sessions/{created.id}").status_code == 404


def test_many_sessions_are_paged(server: Server, make_account: MakeAccount) -> None:
    account = make_account()
    for day in range(1, 23):
        new_session(account, topic=f"Daily {day:02d}", start_time=f"2031-03-{day:02d} 10:00")
    with signed_in(server, login_of(account), password_of(account)) as client:
        first = visible_text(client.get("/account").text)
        assert "Daily 01" in first
        assert "Daily 20" in first
        assert "Daily 21" not in first
        assert "Next page of upcoming sessions" in first
        second = visible_text(client.get("/account?upcoming=20").text)
        assert "Daily 21" in second
        assert "Daily 22" in second
        assert "Daily 01" not in second


# --- settings ------------------------------------------------------------------------------


def test_settings_move_the_times(server: Server, make_account: MakeAccount) -> None:
    account = make_account(timezone="UTC")
    new_session(account, topic="Moving", start_time="2030-07-10 18:00:00")
    with signed_in(server, login_of(account), password_of(account)) as client:
        assert "Wednesday, 10 July 2030, 18:00 UTC" in visible_text(client.get("/account").text)
        response = post_form(
            client, "/account/settings", section="profile", first_name="Ana",
            last_name="Lima", timezone="Europe/Berlin",
        )  # fmt: skip
        assert response.status_code == 303
        assert "Your settings are saved." in client.get("/account/settings").text
        home = visible_text(client.get("/account").text)
        assert "Wednesday, 10 July 2030, Europe/Berlin · 20:00 CEST" in home
    profile = account.get("user/format/json").json()["users"][0]
    # the API answers Berlin as its code, UP1, with DST on (docs/decisions.md)
    assert (profile["first_name"], profile["timezone"], profile["dst"]) == ("Ana", "UP1", True)


def test_settings_pick_a_place_without_scripts(server: Server, make_account: MakeAccount) -> None:
    account = make_account(timezone="UP1", dst=True)
    with signed_in(server, login_of(account), password_of(account)) as client:
        page = client.get("/account/settings")
        assert (
            'name="timezone" type="text" list="timezone-names" value="Europe/Berlin"' in page.text
        )
        assert '<option value="Asia/Kolkata">' in page.text
        assert '<option value="US/Eastern">' not in page.text  # old aliases are not offered
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "Your clock now: Europe/Berlin · " in visible_text(page.text)
        # Saved unchanged, the field keeps the account's code (UP1 with DST), not the place.
        kept = post_form(client, "/account/settings", section="profile", first_name="Kept",
                         last_name="", timezone="Europe/Berlin")  # fmt: skip
        assert kept.status_code == 303
        assert ok(account.get("user/format/json"))["users"][0]["timezone"] == "UP1"
        moved = post_form(client, "/account/settings", section="profile", first_name="Kept",
                          last_name="", timezone="Asia/Calcutta")  # fmt: skip
        assert moved.status_code == 303
        page = client.get("/account/settings")
        assert 'list="timezone-names" value="Asia/Kolkata"' in page.text  # today's name
        assert "Your clock now: Asia/Kolkata · " in visible_text(page.text)
    user = ok(account.get("user/format/json"))["users"][0]
    assert (user["timezone"], user["dst"]) == ("UP55", False)


def test_settings_errors_are_the_apis_and_keep_what_was_typed(
    server: Server, make_account: MakeAccount
) -> None:
    account = make_account()
    api_error = rest(account, "POST", "user", {"timezone": "Mars/Olympus"}).json()
    message = str(api_error)
    with signed_in(server, login_of(account), password_of(account)) as client:
        response = post_form(
            client, "/account/settings", section="profile", first_name="Typed name",
            last_name="Kept", timezone="Mars/Olympus",
        )  # fmt: skip
        assert response.status_code == 400
        assert 'id="timezone-error"' in response.text
        assert "timezone &#39;Mars/Olympus&#39; is not" in response.text
        assert "timezone 'Mars/Olympus' is not" in message
        assert 'value="Typed name"' in response.text
        assert 'value="Kept"' in response.text
        long = post_form(
            client, "/account/settings", section="profile", first_name="x" * 101,
            last_name="", timezone="UTC",
        )  # fmt: skip
        assert long.status_code == 400
        assert 'aria-describedby="first_name-error"' in long.text
        assert "first_name must be at most 100 characters long" in long.text
    assert account.get("user/format/json").json()["users"][0]["first_name"] == ""


def test_password_change_asks_for_the_current_one(
    server: Server, make_account: MakeAccount
) -> None:
    account = make_account()
    with signed_in(server, login_of(account), password_of(account)) as client:
        wrong = post_form(
            client, "/account/settings", section="password", current_password="nope",
            password="a-new-password",
        )  # fmt: skip
        assert wrong.status_code == 400
        assert 'id="current_password-error"' in wrong.text
        assert "current_password is wrong" in wrong.text
        short = post_form(
            client, "/account/settings", section="password",
            current_password=password_of(account), password="short",
        )  # fmt: skip
        assert short.status_code == 400
        assert "password must be at least 8 characters long" in short.text
    assert account.get("authverify").is_success


def test_password_change_signs_out_every_browser(server: Server, make_account: MakeAccount) -> None:
    account = make_account()
    login, password = login_of(account), password_of(account)
    with signed_in(server, login, password) as here, signed_in(server, login, password) as there:
        response = post_form(
            here, "/account/settings", section="password", current_password=password,
            password="brand-new-password",
        )  # fmt: skip
        assert response.status_code == 303
        assert "Every other browser was signed out" in here.get("/account/settings").text
        assert here.get("/account").status_code == 200  # this browser got a new session
        assert there.get("/account").status_code == 303
    assert account.get("authverify").status_code == 401  # the API forgets the old password
    with signed_in(server, login, "brand-new-password") as again:
        server.run(lambda conn: service.set_password(conn, login=login, password="third-pass"))
        assert again.get("/account").status_code == 303  # `onstream user passwd` too


# --- the rate limit ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, new_database: Any) -> Iterator[AppServer]:
    """A server allowing 3 failed sign-ins a minute per address."""
    workdir: Path = tmp_path_factory.mktemp("limited")
    env = {"ONSTREAM_RATE_LIMIT_ADDRESS": "3/minute", "ONSTREAM_MAIL_WORKER": "false"}
    app = AppServer(workdir=workdir, database_url=new_database(workdir), extra_env=env)
    app.start()
    app.add_account("limited", "limited-password")
    yield app
    app.stop()


def test_failed_sign_ins_are_throttled(limited: AppServer) -> None:
    with limited.client() as client:
        for _ in range(3):
            assert sign_in_form(client, "limited", "wrong-password").status_code == 400
        refused = sign_in_form(client, "limited", "limited-password")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert "Too many failed sign-ins" in refused.text
        assert 'value="limited"' in refused.text
        assert "onstream_account" not in client.cookies


def test_https_base_url_makes_the_cookie_secure(
    tmp_path_factory: pytest.TempPathFactory, new_database: Any
) -> None:
    workdir: Path = tmp_path_factory.mktemp("https")
    env = {"ONSTREAM_BASE_URL": "https://meet.example", "ONSTREAM_MAIL_WORKER": "false"}
    app = AppServer(workdir=workdir, database_url=new_database(workdir), extra_env=env)
    app.start()
    try:
        app.add_account("secure", "secure-password")
        with app.client() as client, app.client() as second:
            page = client.get("/account/sign-in")
            assert "Secure" in page.headers["set-cookie"]
            # httpx keeps a Secure cookie out of the jar of an http URL: send it as https would
            pre = page.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
            second.cookies.set("onstream_pre", pre)
            response = second.post(
                "/account/sign-in",
                data={"csrf": csrf_of(page.text), "login": "secure", "password": "secure-password"},
            )
            assert response.status_code == 303
            assert "Secure" in response.headers["set-cookie"]
    finally:
        app.stop()
