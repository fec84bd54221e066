"""The API tokens and webhook pages in a real browser (Debian's Chromium via Playwright),
against a real `onstream serve` whose webhooks may reach loopback receivers: a token made on
the page works on the API over HTTP, a read-only one cannot write, a revoked one stops; a
webhook made on the page gets a delivery, shows a failure with its error, and "Deliver again"
sends it. Screenshots of both pages at desktop and phone width go to test-output/
(docs/account-tokens.png, shown in docs/account-center.md, is a copy of the desktop tokens
page)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.receiver import Receiver
from tests.support.server import ServerProcess
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_until
from tests.web.account.helpers import csrf_of, signed_in
from tests.web.helpers import login_of, new_session

pytestmark = pytest.mark.live  # Chromium talks to a real socket

OUTPUT = Path(__file__).resolve().parents[3] / "test-output"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    smtp: SmtpServer,
    new_database: Callable[[Path], str],
) -> Iterator[ServerProcess]:
    """`onstream serve` that lets webhooks reach 127.0.0.0/8, where the receivers listen."""
    workdir = tmp_path_factory.mktemp("api-pages")
    env = {**smtp.env(), "ONSTREAM_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
    proc = ServerProcess(workdir=workdir, database_url=new_database(workdir), extra_env=env)
    proc.migrate()  # before Playwright's loop runs: migrating runs one of its own
    proc.start()
    yield proc
    proc.stop()


def sign_in(page: Page, server: ServerProcess, login: str) -> None:
    page.goto(f"{server.base_url}/account/sign-in")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(f"{login}-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")


def pictures(page: Page, name: str) -> None:
    """The page at desktop and phone width; at phone width nothing scrolls sideways."""
    OUTPUT.mkdir(exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(OUTPUT / f"account-{name}-{label}.png"), full_page=True)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"{name} scrolls sideways at phone width: {wide}px"
    page.set_viewport_size(DESKTOP)


def api(server: ServerProcess, login: str, secret: str) -> httpx.Client:
    return httpx.Client(base_url=f"{server.base_url}/api/2/{login}/", auth=(login, secret))


SESSION = {"topic": "Made by a script", "duration": 30, "start_time": "2030-07-10 18:00:00"}


def test_tokens_page_creates_a_working_token_and_revokes_it(
    server: ServerProcess, make_account: MakeAccount, page: Page
) -> None:
    login = login_of(make_account())
    page.set_viewport_size(DESKTOP)
    sign_in(page, server, login)
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    page.get_by_label("Name").fill("deploy")
    page.get_by_label("Expires after (days, empty: never)").fill("30")
    page.get_by_role("button", name="Create token").click()
    full = page.get_by_label("Copy it now: it is not shown again").input_value()
    assert full.startswith("ost_")

    page.get_by_label("Name").fill("reader")
    page.get_by_label("Read-only (GET calls only)").check()
    page.get_by_role("button", name="Create token").click()
    reader = page.get_by_label("Copy it now: it is not shown again").input_value()
    assert reader.startswith("ost_")
    assert reader != full

    with api(server, login, full) as client:
        assert client.get("authverify").status_code == 200
        ok(rest(client, "PUT", "session", SESSION), 201)
    with api(server, login, reader) as client:
        assert client.get("sessions/format/json").status_code == 200
        assert "read-only" in error(rest(client, "PUT", "session", SESSION), 403)

    page.get_by_role("link", name="API tokens").click()
    tokens = page.get_by_role("region", name="Your tokens")
    expect(tokens).to_contain_text("deploy")
    expect(tokens).to_contain_text("read-only")
    expect(page.get_by_label("Copy it now: it is not shown again")).to_have_count(0)
    assert full not in page.content()
    pictures(page, "tokens")

    page.get_by_role("button", name="Revoke deploy").click()
    expect(page.get_by_role("status")).to_have_text("The token is revoked; it no longer works.")
    expect(tokens).not_to_contain_text("deploy")

    def refused_now() -> bool:
        with api(server, login, full) as client:
            return client.get("authverify").status_code == 401

    wait_until(refused_now, "the revoked token to be refused")
    with api(server, login, reader) as client:
        assert client.get("authverify").status_code == 200


def test_webhooks_page_delivers_shows_a_failure_and_delivers_again(
    server: ServerProcess, make_account: MakeAccount, page: Page
) -> None:
    account = make_account()
    login = login_of(account)
    working, failing = Receiver().start(), Receiver(failures=10**6).start()
    try:
        page.set_viewport_size(DESKTOP)
        sign_in(page, server, login)
        page.get_by_role("link", name="Webhooks").click()
        for receiver in (working, failing):
            page.get_by_label("URL that receives the events").fill(receiver.url)
            page.get_by_label("session.created").check()
            page.get_by_role("button", name="Add webhook").click()
            expect(page.get_by_role("status")).to_contain_text("is added")
            assert (
                page.get_by_label("Its signing secret", exact=False)
                .input_value()
                .startswith("whsec_")
            )
        page.get_by_label("URL that receives the events").fill("http://10.1.2.3/hook")
        page.get_by_label("session.updated").check()
        page.get_by_role("button", name="Add webhook").click()
        expect(page.locator("#url-error")).to_contain_text(
            "url must point to a network this server delivers webhooks to"
        )
        expect(page.get_by_role("region", name="Your webhooks")).not_to_contain_text("10.1.2.3")

        created = new_session(account, topic="Hooked")
        wait_until(lambda: working.received, "the working receiver's delivery")
        wait_until(lambda: failing.requests, "the failing receiver's first answer")
        assert working.received[0].event["type"] == "session.created"

        page.get_by_role("link", name="Webhooks").click()
        page.get_by_role("link", name=working.url).click()
        deliveries = page.get_by_role("region", name="Deliveries")
        expect(deliveries).to_contain_text("session.created")

        def delivered_shown() -> bool:
            page.reload()
            return "delivered" in deliveries.inner_text()

        wait_until(delivered_shown, "the delivery shown as delivered")

        page.get_by_role("link", name="Webhooks").click()
        page.get_by_role("link", name=failing.url).click()

        def failure_shown() -> bool:
            page.reload()
            return "Last error: HTTP status 500" in deliveries.inner_text()

        wait_until(failure_shown, "the failed delivery on the page")
        expect(deliveries).to_contain_text("pending")
        pictures(page, "webhook")

        failing.failures = 0
        page.get_by_role("button", name="Deliver again").first.click()
        expect(page.get_by_role("status")).to_have_text(
            "The delivery is queued again and goes out now."
        )
        wait_until(lambda: failing.received, "the delivery sent again")
        assert failing.received[0].event["data"]["id"] == created.id
        wait_until(delivered_shown, "the delivery shown as delivered")
        page.get_by_role("link", name="Webhooks").click()
        pictures(page, "webhooks")
        expect(page.get_by_role("region", name="Your webhooks")).to_contain_text("active")
    finally:
        working.stop()
        failing.stop()


def test_another_account_cannot_deliver_again_an_event_of_this_one(
    server: ServerProcess, make_account: MakeAccount
) -> None:
    owner, stranger = make_account(), make_account()
    receiver = Receiver().start()
    try:
        hook = {"url": receiver.url, "events": "session.created"}
        ok(rest(owner, "PUT", "webhook", hook), 201)
        own_hook = ok(rest(stranger, "PUT", "webhook", {**hook, "active": 0}), 201)
        new_session(owner)
        delivered = "webhook_deliveries/status/delivered/format/json"
        (mine,) = wait_until(
            lambda: ok(owner.get(delivered))["webhook_deliveries"], "the owner's delivery"
        )
        with signed_in(server, login_of(stranger), f"{login_of(stranger)}-password") as other:
            csrf = csrf_of(other.get("/account/webhooks").text)
            for webhook_id in (mine["webhook_id"], own_hook["id"]):
                path = f"/account/webhooks/{webhook_id}/deliveries/{mine['id']}/redeliver"
                assert other.post(path, data={"csrf": csrf}).status_code == 404
        after = ok(owner.get("webhook_deliveries/format/json"))["webhook_deliveries"][0]
        assert after["status"] == "delivered"  # not queued again
    finally:
        receiver.stop()
