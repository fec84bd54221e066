"""API tokens over real HTTP: created, listed and revoked by the operator's command, used as
the Basic password, read-only ones refused every write."""

from __future__ import annotations

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.server import ServerProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.live  # talks to a real `onstream serve` over a socket


def login_of(client: httpx.Client) -> str:
    return str(client.base_url).rstrip("/").split("/")[-1]


def create(server: ServerProcess, login: str, *args: str) -> str:
    result = server.cli("token", "create", login, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def as_token(server: ServerProcess, login: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{server.base_url}/api/2/{login}/", auth=(login, token), timeout=10
    )


def test_a_token_works_in_place_of_the_password_until_revoked(
    server: ServerProcess, make_account: MakeAccount
) -> None:
    owner = make_account()
    login = login_of(owner)
    token = create(server, login, "--name", "crm sync")
    assert token.startswith("ost_")
    with as_token(server, login, token) as client:
        assert ok(client.get("authverify/format/json"))["authenticated"] is True
        ok(
            rest(
                client,
                "PUT",
                "session",
                {"topic": "t", "duration": 30, "start_time": "2031-01-01 10:00:00"},
            ),
            201,
        )
        listing = server.cli("token", "list", login)
        assert listing.returncode == 0, listing.stderr
        assert "crm sync" in listing.stdout
        assert "full" in listing.stdout
        assert token not in listing.stdout
        assert token[4:20] not in listing.stdout
        line = next(x for x in listing.stdout.splitlines() if x.startswith("crm sync"))
        assert "never" in line  # no expiry; last used is set, so "never" is the expiry
        assert line.count("never") == 1
        assert ok(owner.get("authverify/format/json"))["authenticated"] is True  # password too
        revoked = server.cli("token", "revoke", login, "crm sync")
        assert revoked.returncode == 0, revoked.stderr

        def refused() -> int | None:
            status = client.get("authverify").status_code
            return None if status == 200 else status

        assert wait_until(refused, "the revoked token to be refused") == 401
        assert "no tokens" in server.cli("token", "list", login).stdout


def test_a_read_only_token_reads_but_never_writes(
    server: ServerProcess, make_account: MakeAccount
) -> None:
    owner = make_account()
    login = login_of(owner)
    token = create(server, login, "--name", "dashboard", "--read-only", "--expires", "30")
    listing = server.cli("token", "list", login).stdout
    assert "read-only" in listing
    with as_token(server, login, token) as client:
        assert ok(client.get("sessions/format/json"))["sessions"] == []
        body = {"topic": "t", "duration": 30, "start_time": "2031-01-01 10:00:00"}
        assert "read-only" in error(rest(client, "PUT", "session", body), 403)
        assert "read-only" in error(rest(client, "POST", "user", {"first_name": "X"}), 403)
        assert "read-only" in error(client.delete("session/id/1/format/json"), 403)
    assert ok(owner.get("sessions/format/json"))["sessions"] == []  # nothing was written


def test_a_token_is_for_its_own_account_only(
    server: ServerProcess, make_account: MakeAccount
) -> None:
    first, second = make_account(), make_account()
    token = create(server, login_of(first), "--name", "mine")
    other = login_of(second)
    with as_token(server, other, token) as client:
        assert client.get("authverify").status_code == 401


def test_token_commands_refuse_clearly(server: ServerProcess, make_account: MakeAccount) -> None:
    login = login_of(make_account())
    create(server, login, "--name", "twice")
    again = server.cli("token", "create", login, "--name", "twice")
    assert again.returncode == 1
    assert "already has a token named 'twice'" in again.stderr
    missing = server.cli("token", "revoke", login, "nothing")
    assert missing.returncode == 1
    assert "no token named 'nothing'" in missing.stderr
    nobody = server.cli("token", "create", "nobody-here", "--name", "x")
    assert nobody.returncode == 1
    assert "no account with login 'nobody-here'" in nobody.stderr
