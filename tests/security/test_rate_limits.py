"""Rate limits on guessing, in-process (the socket is not the point): API credentials, the
join page's passcode and the playback password, in memory and in a Redis shared by two
application instances."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from onstream.app import create_app
from onstream.config import Settings
from onstream.protocol.errors import Busy
from onstream.recordings import service as recordings
from onstream.recordings.models import NewRecording
from onstream.storage.database import Connection, Database, open_database, transaction
from onstream.storage.migrate import upgrade
from onstream.throttle import Limited, Throttle
from onstream.users import repository
from onstream.users import service as users
from onstream.users.password_checks import PasswordChecks
from onstream.users.passwords import hash_password
from onstream.users.tokens import create_token
from tests.support.digest import digest_header, nonce_of

REDIS = "redis://127.0.0.1:6379/0"
LOGIN, PASSWORD = "carol", "carol-secret-1"


@dataclass
class Site:
    """An application over a migrated SQLite file, with the account carol."""

    app: Starlette
    database: Database
    settings: Settings

    def client(self, address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'onstream.db'}",
        mail_worker=False,
        recording_worker=False,
        media_dir=str(tmp_path / "media"),
        **overrides,
    )


MakeSite = Callable[..., Awaitable[Site]]


@pytest.fixture
async def make_site(tmp_path: Path) -> AsyncIterator[MakeSite]:
    databases: list[Database] = []
    running = contextlib.AsyncExitStack()

    async def make(password_checks: PasswordChecks | None = None, **overrides: Any) -> Site:
        settings = settings_for(tmp_path, **overrides)
        if not databases:
            await asyncio.to_thread(upgrade, settings.database_url)
        database = open_database(settings.database_url)
        if not databases:
            async with transaction(database, write=True) as conn:
                await users.add_account(
                    conn, login=LOGIN, email="carol@example.com", password=PASSWORD
                )
        databases.append(database)
        app = create_app(settings, database=database, password_checks=password_checks)
        # its shutdown closes the throttle's and digest store's connections and the database
        await running.enter_async_context(app.router.lifespan_context(app))
        return Site(app, database, settings)

    async with running:
        yield make


def basic(password: str, login: str = LOGIN) -> dict[str, str]:
    token = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


AUTHVERIFY = f"/api/2/{LOGIN}/authverify"


@pytest.mark.anyio
async def test_200_wrong_passwords_end_in_429_and_the_right_one_works_elsewhere(
    make_site: MakeSite,
) -> None:
    site = await make_site()
    started = time.monotonic()
    statuses = []
    async with site.client("203.0.113.7") as attacker:
        for n in range(200):
            response = await attacker.get(AUTHVERIFY, headers=basic(f"guess-{n}"))
            statuses.append(response.status_code)
        assert time.monotonic() - started < 30
        assert set(statuses[:20]) == {401}
        assert set(statuses[20:]) == {429}
        assert int(response.headers["retry-after"]) > 0
        assert "Too many failed logins" in response.text
    async with site.client("198.51.100.2") as owner:
        assert (await owner.get(AUTHVERIFY, headers=basic(PASSWORD))).status_code == 200
        # a wrong answer from the good address still fails normally, not 429
        assert (await owner.get(AUTHVERIFY, headers=basic("typo"))).status_code == 401


@pytest.mark.anyio
async def test_missing_credentials_are_not_counted(make_site: MakeSite) -> None:
    site = await make_site(rate_limit_address="3/minute")
    async with site.client("203.0.113.8") as client:
        for _ in range(10):
            assert (await client.get(AUTHVERIFY)).status_code == 401
        assert (await client.get(AUTHVERIFY, headers=basic(PASSWORD))).status_code == 200


@pytest.mark.anyio
async def test_guessing_spread_over_addresses_locks_the_login(make_site: MakeSite) -> None:
    site = await make_site(rate_limit_target="10/hour")
    for n in range(10):
        async with site.client(f"192.0.2.{n + 1}") as client:
            response = await client.get(AUTHVERIFY, headers=basic(f"guess-{n}"))
            assert response.status_code == 401
    async with site.client("192.0.2.100") as client:
        assert (await client.get(AUTHVERIFY, headers=basic("guess-x"))).status_code == 429


async def owner_session(site: Site, password: str) -> int:
    async with site.client("127.0.0.1") as owner:
        response = await owner.put(
            f"/api/2/{LOGIN}/session/format/json",
            headers=basic(PASSWORD),
            json={
                "topic": "Board",
                "duration": 30,
                "start_time": "2031-05-05 10:00:00",
                "friendly_url": "board",
                "password": password,
            },
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


@pytest.mark.anyio
async def test_join_page_passcode_guessing_ends_in_429(make_site: MakeSite) -> None:
    site = await make_site()
    await owner_session(site, "7391")
    statuses = []
    async with site.client("203.0.113.9") as guesser:
        for n in range(30):
            response = await guesser.post(
                f"/{LOGIN}/board", data={"name": "Eve", "passcode": f"{n:04d}"}
            )
            statuses.append(response.status_code)
        assert set(statuses[:20]) == {403}
        assert set(statuses[20:]) == {429}
        assert "Too many wrong answers" in response.text
        assert int(response.headers["retry-after"]) > 0
    async with site.client("198.51.100.3") as invitee:
        right = await invitee.post(f"/{LOGIN}/board", data={"name": "Ana", "passcode": "7391"})
        assert right.status_code != 429
        assert right.status_code != 403


@pytest.mark.anyio
async def test_playback_password_guessing_ends_in_429(make_site: MakeSite) -> None:
    site = await make_site()
    session_id = await owner_session(site, "tulip-42")

    async def add(conn: Connection) -> int:
        owner = await repository.account_by_login(conn, LOGIN)
        assert owner is not None
        new = NewRecording(session_id=session_id, title="Minutes", duration_ms=1000)
        return await recordings.add(conn, owner, new, media=None, base_url="http://test")

    async with transaction(site.database, write=True) as conn:
        recording_id = await add(conn)
    page = f"/play/{recording_id}-Minutes"
    statuses = []
    async with site.client("203.0.113.10") as guesser:
        for n in range(25):
            response = await guesser.post(page, data={"name": "Eve", "password": f"guess{n}"})
            statuses.append(response.status_code)
        assert set(statuses[:20]) == {403}
        assert set(statuses[20:]) == {429}
        assert "Too many wrong answers" in response.text
    async with site.client("198.51.100.4") as viewer:
        right = await viewer.post(page, data={"name": "Ana", "password": "tulip-42"})
        assert right.status_code == 303


@pytest.mark.anyio
async def test_redis_counters_are_shared_by_two_instances(make_site: MakeSite) -> None:
    prefix = f"onstream-test-{uuid.uuid4().hex}"
    one = await make_site(redis_url=REDIS, rate_limit_prefix=prefix, rate_limit_address="5/minute")
    two = await make_site(redis_url=REDIS, rate_limit_prefix=prefix, rate_limit_address="5/minute")
    try:
        async with one.client("203.0.113.11") as first:
            for n in range(5):
                response = await first.get(AUTHVERIFY, headers=basic(f"guess-{n}"))
                assert response.status_code == 401
        async with two.client("203.0.113.11") as second:
            response = await second.get(AUTHVERIFY, headers=basic("guess-5"))
            assert response.status_code == 429
        async with two.client("198.51.100.5") as owner:
            assert (await owner.get(AUTHVERIFY, headers=basic(PASSWORD))).status_code == 200
    finally:
        throttle = Throttle(one.settings)
        await throttle.reset()
        await throttle.aclose()


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    throttle = Throttle(Settings(trusted_proxies="10.0.0.0/8, 127.0.0.1"))
    assert throttle.client_address("203.0.113.1", "1.2.3.4") == "203.0.113.1"
    assert throttle.client_address("127.0.0.1", "1.2.3.4") == "1.2.3.4"
    # the client may write its own header; only the hop the proxies appended counts
    assert throttle.client_address("127.0.0.1", "6.6.6.6, 1.2.3.4, 10.1.1.1") == "1.2.3.4"
    assert throttle.client_address("127.0.0.1", None) == "127.0.0.1"
    untrusting = Throttle(Settings())
    assert untrusting.client_address("127.0.0.1", "1.2.3.4") == "127.0.0.1"


async def carol_token(site: Site) -> str:
    async with transaction(site.database, write=True) as conn:
        return await create_token(conn, login=LOGIN, name=f"digest-{uuid.uuid4().hex[:8]}")


@pytest.mark.anyio
async def test_wrong_digest_responses_count_like_wrong_passwords(make_site: MakeSite) -> None:
    site = await make_site(rate_limit_address="5/minute")
    token = await carol_token(site)
    async with site.client("203.0.113.20") as guesser:
        nonce = nonce_of(await guesser.get(AUTHVERIFY))
        statuses = []
        for n in range(6):
            header = digest_header(
                LOGIN, f"ost_guess{n}", method="GET", uri=AUTHVERIFY, nonce=nonce
            )
            response = await guesser.get(AUTHVERIFY, headers={"authorization": header})
            statuses.append(response.status_code)
        assert statuses == [401] * 5 + [429]
    async with site.client("198.51.100.20") as owner:
        header = digest_header(LOGIN, token, method="GET", uri=AUTHVERIFY, nonce=nonce)
        assert (await owner.get(AUTHVERIFY, headers={"authorization": header})).status_code == 200


@pytest.mark.anyio
@pytest.mark.parametrize("redis", [False, True], ids=["database", "redis"])
async def test_a_digest_nonce_count_is_used_once_across_instances(
    make_site: MakeSite, redis: bool
) -> None:
    shared = {"redis_url": REDIS, "rate_limit_prefix": f"onstream-test-{uuid.uuid4().hex}"}
    one = await make_site(**(shared if redis else {}))
    two = await make_site(**(shared if redis else {}))
    token = await carol_token(one)
    async with one.client("203.0.113.21") as first, two.client("203.0.113.21") as second:
        nonce = nonce_of(await second.get(AUTHVERIFY))  # issued by the other instance
        header = {
            "authorization": digest_header(LOGIN, token, method="GET", uri=AUTHVERIFY, nonce=nonce)
        }
        assert (await first.get(AUTHVERIFY, headers=header)).status_code == 200
        assert (await second.get(AUTHVERIFY, headers=header)).status_code == 401
        assert (await first.get(AUTHVERIFY, headers=header)).status_code == 401


@pytest.mark.anyio
@pytest.mark.parametrize("redis", [False, True], ids=["memory", "redis"])
async def test_an_attempt_refused_by_the_target_leaves_the_address_uncounted(redis: bool) -> None:
    prefix = f"onstream-test-{uuid.uuid4().hex}"
    settings = Settings(
        rate_limit_address="2/minute",
        rate_limit_target="1/minute",
        rate_limit_prefix=prefix,
        redis_url=REDIS if redis else None,
    )
    throttle = Throttle(settings)
    try:
        await throttle.take("password", address="a", target="x")
        with pytest.raises(Limited) as refused:
            await throttle.take("password", address="a", target="x")
        assert refused.value.retry_after > 0
        # the address kept its second slot for another login, then is at its limit
        await throttle.take("password", address="a", target="y")
        with pytest.raises(Limited):
            await throttle.take("password", address="a", target="z")
    finally:
        await throttle.reset()
        await throttle.aclose()


async def sign_in_status(site: Site, address: str, password: str) -> httpx.Response:
    async with site.client(address) as browser:
        page = await browser.get("/account/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        data = {"csrf": csrf.group(1), "login": LOGIN, "password": password}
        return await browser.post("/account/sign-in", data=data)


class FillablePool(PasswordChecks):
    """The process's pool of checks, which the test can declare full (or full once the
    next check is done: `full_after_a_check`)."""

    full = False
    full_after_a_check = False

    async def verify(self, password_hash: str | None, password: str) -> bool:
        if self.full:
            raise Busy("all checks are in hand")
        right = await super().verify(password_hash, password)
        self.full = self.full or self.full_after_a_check
        return right

    async def hash(self, password: str) -> str:
        if self.full:
            raise Busy("all checks are in hand")
        return await super().hash(password)


@pytest.mark.anyio
async def test_a_full_pool_of_checks_refuses_a_sign_in_at_once_and_counts_nothing(
    make_site: MakeSite,
) -> None:
    pool = FillablePool()
    site = await make_site(rate_limit_address="1/minute", password_checks=pool)
    pool.full = True
    for _ in range(3):
        busy = await sign_in_status(site, "203.0.113.30", PASSWORD)
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "1"
        assert "Too many sign-ins are being checked" in busy.text
    pool.full = False
    assert (await sign_in_status(site, "203.0.113.30", PASSWORD)).status_code == 303


@pytest.mark.anyio
async def test_a_new_password_is_hashed_in_the_pool_and_refused_when_it_is_full(
    make_site: MakeSite,
) -> None:
    """A password change costs a check of the current password and a hash of the new one,
    both in the pool: with the pool full after the check, the change is refused at once
    (503, Retry-After) and the password stays as it was."""
    pool = FillablePool()
    site = await make_site(password_checks=pool)
    async with site.client("203.0.113.40") as browser:
        page = await browser.get("/account/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        data = {"csrf": csrf.group(1), "login": LOGIN, "password": PASSWORD}
        assert (await browser.post("/account/sign-in", data=data)).status_code == 303
        page = await browser.get("/account/settings")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        change = {
            "csrf": csrf.group(1),
            "section": "password",
            "current_password": PASSWORD,
            "password": "a-brand-new-secret",
        }
        pool.full_after_a_check = True
        busy = await browser.post("/account/settings", data=change)
        assert busy.status_code == 503, busy.text
        assert busy.headers["retry-after"] == "1"
        assert "Too many passwords are being checked" in busy.text
        pool.full = pool.full_after_a_check = False
        async with site.client("203.0.113.41") as other:
            unchanged = await other.get(AUTHVERIFY, headers=basic(PASSWORD))
            assert unchanged.status_code == 200
        changed = await browser.post("/account/settings", data=change)
        assert changed.status_code == 303, changed.text
    async with site.client("203.0.113.42") as other:
        new = await other.get(AUTHVERIFY, headers=basic("a-brand-new-secret"))
        assert new.status_code == 200


@pytest.mark.anyio
async def test_a_hash_made_in_the_pool_is_checked_by_it() -> None:
    checks = PasswordChecks()
    made = await checks.hash("a-brand-new-secret")
    assert await checks.verify(made, "a-brand-new-secret")
    assert not await checks.verify(made, "another-secret")
    checks.close()


@pytest.mark.anyio
async def test_checks_beyond_the_pools_capacity_are_refused_at_once() -> None:
    checks = PasswordChecks(capacity=2)
    stored = hash_password("right")
    outcomes = await asyncio.gather(
        *(checks.verify(stored, f"guess-{n}") for n in range(4)), return_exceptions=True
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Busy", "Busy", "bool", "bool"]
    assert checks.in_hand == 0
    assert await checks.verify(stored, "right")
    checks.close()
