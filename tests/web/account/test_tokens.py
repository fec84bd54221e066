"""The account center's API tokens page in-process: create (shown once), list with last use,
revoke; refused forms change nothing; another account cannot see or revoke them."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.server import Server
from tests.support.waiting import wait_until
from tests.web.account.helpers import csrf_of, signed_in
from tests.web.helpers import login_of
from tests.web.test_pages import visible_text

TOKEN = re.compile(r'id="new-token" type="text" readonly value="(ost_[A-Za-z0-9_-]{43})"')


@pytest.fixture
def account(make_account: MakeAccount) -> httpx.Client:
    return make_account()


@pytest.fixture
def browser(server: Server, account: httpx.Client) -> Iterator[httpx.Client]:
    with signed_in(server, login_of(account), f"{login_of(account)}-password") as client:
        yield client


def create(browser: httpx.Client, **fields: str) -> httpx.Response:
    csrf = csrf_of(browser.get("/account/tokens").text)
    return browser.post("/account/tokens", data={"csrf": csrf, **fields})


def authverify(server: Server, login: str, secret: str) -> int:
    with server.client() as client:
        return client.get(f"/api/2/{login}/authverify", auth=(login, secret)).status_code


def test_a_new_token_is_shown_once_and_works_on_the_api(
    server: Server, account: httpx.Client, browser: httpx.Client
) -> None:
    login = login_of(account)
    made = create(browser, name="Nightly export", expires_days="30")
    assert made.status_code == 200
    assert made.headers["cache-control"] == "no-store"
    found = TOKEN.search(made.text)
    assert found is not None, made.text
    token = found.group(1)
    assert authverify(server, login, token) == 200
    listing = browser.get("/account/tokens")
    assert token not in listing.text
    text = visible_text(listing.text)
    assert "Nightly export" in text
    assert "full access" in text
    assert "last used never" not in text  # the call above was recorded


def test_refused_forms_change_nothing_and_say_why_beside_the_field(
    account: httpx.Client, browser: httpx.Client
) -> None:
    bad_name = create(browser, name="../etc", expires_days="")
    assert bad_name.status_code == 400
    assert 'id="name-error"' in bad_name.text
    assert "token name must be 1-64 letters" in bad_name.text
    bad_expiry = create(browser, name="ok", expires_days="forever")
    assert bad_expiry.status_code == 400
    assert 'id="expires_days-error"' in bad_expiry.text
    assert "expiry must be 1-3650 days" in bad_expiry.text
    assert 'value="forever"' in bad_expiry.text  # what was typed stays
    too_long = create(browser, name="ok", expires_days="9999")
    assert too_long.status_code == 400
    assert "No tokens yet." in browser.get("/account/tokens").text
    assert TOKEN.search(create(browser, name="twice").text)
    again = create(browser, name="twice")
    assert again.status_code == 409
    assert "already has a token named 'twice'" in html.unescape(again.text)
    assert TOKEN.search(again.text) is None
    assert browser.get("/account/tokens").text.count("<strong>twice</strong>") == 1


def test_a_revoked_token_stops_and_another_account_cannot_touch_it(
    server: Server,
    make_account: MakeAccount,
    account: httpx.Client,
    browser: httpx.Client,
) -> None:
    login = login_of(account)
    found = TOKEN.search(create(browser, name="ci").text)
    assert found is not None
    token = found.group(1)
    stranger = make_account()
    with signed_in(server, login_of(stranger), f"{login_of(stranger)}-password") as other:
        page = other.get("/account/tokens")
        assert "ci" not in visible_text(page.text).split("Your tokens", 1)[1]
        refused = other.post(
            "/account/tokens/revoke", data={"csrf": csrf_of(page.text), "name": "ci"}
        )
        assert refused.status_code == 404
    assert authverify(server, login, token) == 200
    csrf = csrf_of(browser.get("/account/tokens").text)
    revoked = browser.post("/account/tokens/revoke", data={"csrf": csrf, "name": "ci"})
    assert revoked.status_code == 303
    assert "The token is revoked" in browser.get("/account/tokens").text
    wait_until(lambda: authverify(server, login, token) == 401, "the revoked token refused")
    forged = browser.post("/account/tokens", data={"name": "no-csrf"})
    assert forged.status_code == 403
    assert "no-csrf" not in browser.get("/account/tokens").text
