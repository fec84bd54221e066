"""Webhook targets are public addresses only: every spelling of a loopback, private,
link-local, shared, multicast, reserved or unspecified address, and every name the system
resolver turns into one, is refused when a webhook is registered or changed (400, nothing
written), unless the operator allows its network; a bad network setting stops the start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onstream.config import SettingsError, load_settings
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.app import AppServer
from tests.support.server import Server

EVENTS = "session.created"


@pytest.fixture(scope="module")
def server(public_server: AppServer) -> Server:
    """The public-internet rule is what these tests are about: webhooks on this server may
    reach public addresses, as on an operator's; the public URLs here are registered inactive."""
    return public_server


REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.0.0.1:6379/",  # Redis
    "http://127.255.255.254:8000/",
    "http://localhost/hook",  # a name, resolved by the system resolver
    "http://LOCALHOST:8000/hook",
    "http://0.0.0.0/",
    "http://0/",
    "http://2130706433/",  # decimal
    "http://017700000001/",  # octal
    "http://0x7f000001/",  # hex
    "http://0x7f.1/",
    "http://127.1/",  # short form
    "http://127.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[64:ff9b::127.0.0.1]/",  # NAT64
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata service
    "http://[64:ff9b:1::1]/",  # local-use NAT64
    "http://[2002:7f00:1::1]/",  # 6to4
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",  # shared (carrier-grade NAT)
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://192.0.2.10/",  # documentation
    "http://198.51.100.10/",
    "http://203.0.113.10/",
    "http://198.18.0.1/",  # benchmarking
    "http://[2001:db8::1]/",
    "http://[3fff::1]/",
    "http://[2001:2::1]/",
    "http://[fc00::1]/",  # unique local
    "http://[fd12:3456::1]/",
    "http://[fec0::1]/",  # site-local
    "https://127.0.0.1:8443/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_registration_is_refused_for_every_spelling_of_an_inside_address(
    make_account: MakeAccount, url: str
) -> None:
    client = make_account()
    message = error(rest(client, "PUT", "webhook", {"url": url, "events": EVENTS}), 400)
    assert "public internet address" in message
    assert ok(client.get("webhooks/format/json"))["webhooks"] == []


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://user:pass@example.com/hook", "user name or password"),
        ("http://example.com\\@127.0.0.1/hook", "user name or password"),
        ("http://%31%32%37.0.0.1/", "host"),
        ("http://0177.0.0.1/", "http"),  # not an IPv4 address httpx connects to
        ("gopher://127.0.0.1:6379/_INFO", "http"),
        ("file:///etc/passwd", "http"),
        ("http://example.com:65536/", "port"),
    ],
)
def test_userinfo_other_schemes_and_odd_hosts_are_refused(
    make_account: MakeAccount, url: str, complaint: str
) -> None:
    client = make_account()
    message = error(rest(client, "PUT", "webhook", {"url": url, "events": EVENTS}), 400)
    assert complaint in message
    assert ok(client.get("webhooks/format/json"))["webhooks"] == []


def test_changing_a_webhook_to_an_inside_address_is_refused_and_changes_nothing(
    make_account: MakeAccount,
) -> None:
    client = make_account()
    public = {"url": "http://8.8.8.8/hook", "events": EVENTS, "active": 0}
    hook_id = ok(rest(client, "PUT", "webhook", public), 201)["id"]
    for url in ("http://127.1/", "http://localhost:6379/", "http://[::ffff:169.254.169.254]/"):
        change = {"id": hook_id, "url": url, "events": "file.added"}
        assert "public internet address" in error(rest(client, "POST", "webhook", change), 400)
    (shown,) = ok(client.get(f"webhook/id/{hook_id}/format/json"))["webhooks"]
    assert (shown["url"], shown["events"]) == (public["url"], EVENTS)


def test_another_account_hears_404_before_any_word_about_the_url(
    make_account: MakeAccount,
) -> None:
    owner, other = make_account(), make_account()
    public = {"url": "http://8.8.8.8/hook", "events": EVENTS, "active": 0}
    hook_id = ok(rest(owner, "PUT", "webhook", public), 201)["id"]
    error(rest(other, "POST", "webhook", {"id": hook_id, "url": "http://127.0.0.1/"}), 404)


@pytest.fixture
def private_server(tmp_path: Path) -> Iterator[Server]:
    """A server whose operator allows receivers on 10.20.0.0/16 and on ::1."""
    app = AppServer(
        workdir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'onstream.db'}",
        extra_env={
            "ONSTREAM_WEBHOOK_ALLOWED_NETWORKS": "10.20.0.0/16, ::1/128",
            "ONSTREAM_MAIL_WORKER": "0",  # nothing is delivered
        },
    )
    app.start()
    yield app
    app.close()


def test_the_networks_an_operator_allows_are_accepted_and_no_others(
    private_server: Server,
) -> None:
    private_server.add_account("ops", "ops-password-1")
    with private_server.api_client("ops", "ops-password-1") as client:
        for url in ("http://10.20.3.4/hook", "http://[::1]:9/", "http://[::ffff:10.20.0.9]/"):
            ok(rest(client, "PUT", "webhook", {"url": url, "events": EVENTS}), 201)
        for url in ("http://10.21.0.1/", "http://127.0.0.1/", "http://localhost/"):
            message = error(rest(client, "PUT", "webhook", {"url": url, "events": EVENTS}), 400)
            assert "ONSTREAM_WEBHOOK_ALLOWED_NETWORKS" in message


def test_the_allowed_networks_are_read_from_the_environment() -> None:
    settings = load_settings(
        {"ONSTREAM_WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/8, fd00::/8,192.168.1.7"}, env_file=None
    )
    assert [str(n) for n in settings.webhook_allowed_networks] == [
        "10.0.0.0/8",
        "fd00::/8",
        "192.168.1.7/32",
    ]
    assert load_settings({}, env_file=None).webhook_allowed_networks == ()


@pytest.mark.parametrize("value", ["10.0.0.0/33", "private", "10.0.0.0/8;fd00::/8", "::1/200"])
def test_a_bad_network_stops_the_start_with_a_sentence_naming_it(
    tmp_path: Path, value: str
) -> None:
    with pytest.raises(SettingsError, match="ONSTREAM_WEBHOOK_ALLOWED_NETWORKS"):
        load_settings({"ONSTREAM_WEBHOOK_ALLOWED_NETWORKS": value}, env_file=None)
    server = AppServer(
        workdir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'onstream.db'}",
        extra_env={"ONSTREAM_WEBHOOK_ALLOWED_NETWORKS": value},
    )
    started = server.cli("worker")
    assert started.returncode == 1
    assert "ONSTREAM_WEBHOOK_ALLOWED_NETWORKS must be comma-separated networks" in started.stderr
    assert "Traceback" not in started.stderr
    server.loop.close()


def test_the_default_cap_is_twenty_and_a_bad_one_stops_the_start() -> None:
    assert load_settings({}, env_file=None).webhooks_per_account == 20
    with pytest.raises(SettingsError, match="ONSTREAM_WEBHOOKS_PER_ACCOUNT"):
        load_settings({"ONSTREAM_WEBHOOKS_PER_ACCOUNT": "many"}, env_file=None)


def test_public_addresses_are_accepted(make_account: MakeAccount) -> None:
    """Nothing is delivered to them: the webhooks are inactive and nothing happens."""
    client = make_account()
    for url in ("https://8.8.8.8/hook", "http://[2606:4700:4700::1111]/", "http://1.1.1.1:6379/"):
        hook = {"url": url, "events": EVENTS, "active": 0}
        ok(rest(client, "PUT", "webhook", hook), 201)
    assert len(ok(client.get("webhooks/format/json"))["webhooks"]) == 3


def test_a_server_without_internet_refuses_public_addresses_too(
    tmp_path: Path,
) -> None:
    app = AppServer(
        workdir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'onstream.db'}",
        extra_env={
            "ONSTREAM_WEBHOOK_PUBLIC": "0",
            "ONSTREAM_WEBHOOK_ALLOWED_NETWORKS": "10.20.0.0/16",
            "ONSTREAM_MAIL_WORKER": "0",
        },
    )
    app.start()
    try:
        app.add_account("lan", "lan-password-1")
        with app.api_client("lan", "lan-password-1") as client:
            ok(rest(client, "PUT", "webhook", {"url": "http://10.20.3.4/", "events": EVENTS}), 201)
            refused = {"url": "http://8.8.8.8/hook", "events": EVENTS, "active": 0}
            message = error(rest(client, "PUT", "webhook", refused), 400)
            assert "reaches no public address" in message
            assert len(ok(client.get("webhooks/format/json"))["webhooks"]) == 1
    finally:
        app.close()
