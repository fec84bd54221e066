"""The account center's webhook pages in-process: a refused URL or no events is said beside
the field and adds nothing; a webhook is changed and deleted; another account gets the 404
page on every webhook page and action, and the webhook stays as it was. Deliveries, failures
and "Deliver again" against a real receiver are in `test_account_browser`."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.app import AppServer
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from tests.web.account.helpers import csrf_of, signed_in
from tests.web.helpers import login_of

PUBLIC = "http://127.0.0.1:9/hooks/onstream"
"""An allowed address (this module's server allows loopback) where nobody listens: the
webhooks made here stay inactive, so nothing is delivered."""
REFUSED = "url must point to a network this server delivers webhooks to"
NOT_FOUND = "This link leads to no session"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    smtp: SmtpServer,
    new_database: Callable[[Path], str],
) -> Iterator[AppServer]:
    """The application with loopback allowed for webhooks (ONSTREAM_WEBHOOK_ALLOWED_NETWORKS)
    and no public addresses, as every test server: private networks stay refused."""
    workdir = tmp_path_factory.mktemp("account-hooks")
    env = {**smtp.env(), "ONSTREAM_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
    app = AppServer(workdir=workdir, database_url=new_database(workdir), extra_env=env)
    app.start()
    yield app
    app.close()


@pytest.fixture
def account(make_account: MakeAccount) -> httpx.Client:
    return make_account()


@pytest.fixture
def browser(server: Server, account: httpx.Client) -> Iterator[httpx.Client]:
    with signed_in(server, login_of(account), f"{login_of(account)}-password") as client:
        yield client


def webhooks_of(account: httpx.Client) -> list[dict[str, Any]]:
    return list(ok(account.get("webhooks/format/json"))["webhooks"])


def post(browser: httpx.Client, path: str, **fields: str) -> httpx.Response:
    csrf = csrf_of(browser.get("/account/webhooks").text)
    return browser.post(path, data={"csrf": csrf, **fields})


def test_a_refused_url_is_said_plainly_and_nothing_is_added(
    account: httpx.Client, browser: httpx.Client
) -> None:
    private = post(
        browser,
        "/account/webhooks",
        url="http://10.1.2.3/hook",
        **{"event-session.created": "1"},
    )
    assert private.status_code == 400
    assert 'id="url-error"' in private.text
    assert REFUSED in private.text
    assert 'value="http://10.1.2.3/hook"' in private.text
    no_events = post(browser, "/account/webhooks", url=PUBLIC, active="1")
    assert no_events.status_code == 400
    assert 'id="events-error"' in no_events.text
    assert "events must name at least one event" in no_events.text
    not_a_url = post(browser, "/account/webhooks", url="ftp://x", **{"event-session.created": "1"})
    assert "url must be an absolute http:// or https:// URL" in not_a_url.text
    assert webhooks_of(account) == []


def test_add_change_and_delete_a_webhook(account: httpx.Client, browser: httpx.Client) -> None:
    added = post(browser, "/account/webhooks", url=PUBLIC, **{"event-session.created": "1"})
    assert added.status_code == 200
    assert "whsec_" in added.text  # the secret, this once
    (hook,) = webhooks_of(account)
    assert hook["events"] == "session.created"
    assert hook["active"] is False  # the box was left unticked
    path = f"/account/webhooks/{hook['id']}"
    assert "whsec_" not in browser.get(path).text
    refused = post(browser, path, url="http://10.0.0.1/x", **{"event-session.created": "1"})
    assert refused.status_code == 400
    assert REFUSED in html.unescape(refused.text)
    assert webhooks_of(account)[0]["url"] == PUBLIC
    events = {"event-session.updated": "1", "event-meeting.ended": "1"}
    saved = post(browser, path, url=PUBLIC + "/v2", **events)
    assert saved.status_code == 303
    assert "The webhook is saved." in browser.get(path).text
    (hook,) = webhooks_of(account)
    assert (hook["url"], hook["events"]) == (PUBLIC + "/v2", "session.updated;meeting.ended")
    asked = browser.get(f"{path}/delete")
    assert asked.status_code == 200
    assert "Delete the webhook to" in asked.text
    assert len(webhooks_of(account)) == 1  # asking deletes nothing
    deleted = post(browser, f"{path}/delete")
    assert deleted.status_code == 303
    assert webhooks_of(account) == []
    assert browser.get(path).status_code == 404


def test_another_account_gets_404_on_every_webhook_page(
    server: Server, make_account: MakeAccount, account: httpx.Client
) -> None:
    body = {"url": PUBLIC, "events": "session.created", "active": 0}
    webhook_id = ok(rest(account, "PUT", "webhook", body), 201)["id"]
    before = webhooks_of(account)
    stranger = make_account()
    with signed_in(server, login_of(stranger), f"{login_of(stranger)}-password") as other:
        assert PUBLIC not in other.get("/account/webhooks").text
        path = f"/account/webhooks/{webhook_id}"
        for page_path in (path, f"{path}/delete"):
            page = other.get(page_path)
            assert page.status_code == 404
            assert NOT_FOUND in page.text
        for action in (path, f"{path}/delete", f"{path}/deliveries/1/redeliver"):
            response = post(other, action, url=PUBLIC + "/stolen", **{"event-file.added": "1"})
            assert response.status_code == 404, action
    assert webhooks_of(account) == before
