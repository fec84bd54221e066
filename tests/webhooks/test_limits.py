"""At most ONSTREAM_WEBHOOKS_PER_ACCOUNT (20) webhooks per account: the next is refused with a
sentence saying so and writes nothing, however many requests arrive at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.app import AppServer
from tests.support.server import Server

HOOK = {"url": "http://127.0.0.1:9/hook", "events": "session.created", "active": 0}


@pytest.fixture(scope="module")
def server(loopback_server: AppServer) -> Server:
    """HOOK's URL is on loopback (where nothing listens), which this server allows."""
    return loopback_server


def count(client: httpx.Client) -> int:
    return len(ok(client.get("webhooks/format/json", params={"count": 100}))["webhooks"])


def test_the_twenty_first_webhook_is_refused_until_one_is_deleted(
    make_account: MakeAccount,
) -> None:
    client, other = make_account(), make_account()
    ids = [ok(rest(client, "PUT", "webhook", HOOK), 201)["id"] for _ in range(20)]
    message = error(rest(client, "PUT", "webhook", HOOK), 400)
    assert message == ("An account may have at most 20 webhooks; delete one before adding another")
    assert count(client) == 20
    ok(rest(other, "PUT", "webhook", HOOK), 201)  # the cap is each account's own
    ok(rest(client, "DELETE", "webhook", {"id": ids[0]}))
    ok(rest(client, "PUT", "webhook", HOOK), 201)
    assert count(client) == 20


def test_creations_in_parallel_cannot_pass_the_cap(make_account: MakeAccount) -> None:
    client = make_account()
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _: rest(client, "PUT", "webhook", HOOK), range(30)))
    assert sorted(a.status_code for a in answers) == [201] * 20 + [400] * 10
    assert count(client) == 20
