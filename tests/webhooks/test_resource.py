"""The webhook resources: validation, every output format, and one account's webhooks and
deliveries invisible and untouchable to another (404)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.app import AppServer
from tests.support.server import Server

HOOK = {"url": "http://127.0.0.1:9/hooks", "events": "session.created;invitee.added"}


@pytest.fixture(scope="module")
def server(loopback_server: AppServer) -> Server:
    """HOOK's URL is on loopback (where nothing listens), which this server allows."""
    return loopback_server


@pytest.fixture(scope="module")
def owner(make_account: MakeAccount) -> httpx.Client:
    return make_account()


@pytest.fixture(scope="module")
def other(make_account: MakeAccount) -> httpx.Client:
    return make_account()


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://[::1/x"}, "url"),
        ({"url": "http://example.com:99999/x"}, "url"),
        ({"url": "http://user:secret@127.0.0.1:9/x"}, "user name"),
        ({"url": "http://%31%32%37.0.0.1/x"}, "url"),
        ({"events": "session.created;session.exploded"}, "session.exploded"),
        ({"events": ";"}, "events"),
        ({"url": None}, "url"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    owner: httpx.Client, values: dict[str, str | None], complaint: str
) -> None:
    before = ok(owner.get("webhooks/format/json"))["webhooks"]
    data = {k: v for k, v in {**HOOK, **values}.items() if v is not None}
    assert complaint in error(rest(owner, "PUT", "webhook", data), 400)
    assert ok(owner.get("webhooks/format/json"))["webhooks"] == before


def test_put_get_post_delete(owner: httpx.Client) -> None:
    made = ok(rest(owner, "PUT", "webhook", HOOK), 201)
    hook_id = made["id"]
    shown = ok(owner.get(f"webhook/id/{hook_id}/format/json"))["webhooks"]
    assert shown[0]["url"] == HOOK["url"]
    assert shown[0]["events"] == HOOK["events"]
    assert shown[0]["active"] is True
    assert "secret" not in shown[0]
    ok(rest(owner, "POST", "webhook", {"id": hook_id, "events": "file.added", "active": False}))
    changed = ok(owner.get(f"webhook/id/{hook_id}/format/json"))["webhooks"][0]
    assert (changed["events"], changed["active"]) == ("file.added", False)
    assert "events" in error(rest(owner, "POST", "webhook", {"id": hook_id, "events": "x"}), 400)
    ok(rest(owner, "DELETE", "webhook", {"id": hook_id}))
    error(owner.get(f"webhook/id/{hook_id}/format/json"), 404)


@pytest.mark.parametrize("fmt", ["json", "xml", "php", "serialize", "csv", "html"])
def test_every_format_shows_webhooks(owner: httpx.Client, fmt: str) -> None:
    hook_id = ok(rest(owner, "PUT", "webhook", HOOK), 201)["id"]
    response = owner.get(f"webhook/id/{hook_id}/format/{fmt}")
    assert response.status_code == 200, response.text
    assert "127.0.0.1:9/hooks" in response.text
    listed = owner.get(f"webhook_deliveries/format/{fmt}")
    assert listed.status_code == 200, listed.text


def test_another_account_cannot_see_or_touch_a_webhook(
    owner: httpx.Client, other: httpx.Client
) -> None:
    hook_id = ok(rest(owner, "PUT", "webhook", {**HOOK, "events": "session.created"}), 201)["id"]
    ok(
        rest(
            owner,
            "PUT",
            "session",
            {"topic": "Mine", "start_time": "2030-01-01 10:00", "duration": 30},
        ),
        201,
    )
    mine = ok(owner.get(f"webhook_deliveries/webhook_id/{hook_id}/format/json"))
    delivery_id = mine["webhook_deliveries"][0]["id"]
    error(other.get(f"webhook/id/{hook_id}/format/json"), 404)
    error(rest(other, "POST", "webhook", {"id": hook_id, "url": "https://8.8.8.8/"}), 404)
    error(rest(other, "DELETE", "webhook", {"id": hook_id}), 404)
    error(other.get(f"webhook_deliveries/webhook_id/{hook_id}/format/json"), 404)
    error(other.post(f"webhook_delivery/id/{delivery_id}/redeliver/1/format/json"), 404)
    assert "redeliver" in error(
        owner.post(f"webhook_delivery/id/{delivery_id}/redeliver/0/format/json"), 400
    )
    assert ok(other.get("webhooks/format/json"))["webhooks"] == []
    assert ok(other.get("webhook_deliveries/format/json"))["webhook_deliveries"] == []
    still = ok(owner.get(f"webhook/id/{hook_id}/format/json"))["webhooks"][0]
    assert still["url"] == HOOK["url"]
