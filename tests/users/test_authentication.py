"""The Basic header parser and the verified-credential cache."""

from __future__ import annotations

import asyncio
import base64
import os
import threading

import pytest

from onstream.accounts import Account
from onstream.protocol.basic import Credentials, parse_basic
from onstream.protocol.errors import Busy, Unauthorized
from onstream.protocol.respond import render_error
from onstream.users import authentication as auth_module
from onstream.users import password_checks as checks_module
from onstream.users.authentication import Authenticator, CredentialCache
from onstream.users.password_checks import PasswordChecks
from onstream.users.passwords import hash_password


def basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def account(password_hash: str = "x", id: int = 1, login: str = "jdoe") -> Account:
    return Account(
        id=id,
        login=login,
        email=f"{login}@example.com",
        password_hash=password_hash,
        timezone="UTC",
        dst=False,
        phone_bridge=False,
    )


def test_parse_basic_splits_at_the_first_colon() -> None:
    assert parse_basic(basic("jdoe:pa:ss")) == Credentials("jdoe", "pa:ss")


def test_parse_basic_accepts_utf8() -> None:
    assert parse_basic(basic("jürgen:pässwörd")) == Credentials("jürgen", "pässwörd")


@pytest.mark.parametrize(
    "header", [None, "", "Basic", "Bearer abc", "Basic !!!", basic("no-colon"), "Basic /w=="]
)
def test_parse_basic_rejects_malformed(header: str | None) -> None:
    assert parse_basic(header) is None


def test_cache_key_never_contains_the_password() -> None:
    cache = CredentialCache(ttl=60, max_entries=10)
    header = basic("jdoe:hunter2-hunter2")
    key = cache.key(header)
    assert b"hunter2" not in key
    assert header.split()[1].encode() not in key
    assert len(key) == 32


def test_cache_keys_differ_between_processes() -> None:
    header = basic("jdoe:pw")
    assert CredentialCache(ttl=1, max_entries=1).key(header) != CredentialCache(
        ttl=1, max_entries=1
    ).key(header)


class MonotonicClock:
    """Stands in for the `time` module in onstream.users.authentication: a clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> MonotonicClock:
    fake = MonotonicClock()
    monkeypatch.setattr(auth_module, "time", fake)
    return fake


def test_cache_expires_entries(clock: MonotonicClock) -> None:
    cache = CredentialCache(ttl=60, max_entries=10)
    key = cache.key(basic("jdoe:pw"))
    cache.put(key, account())
    clock.now += 59.9
    assert cache.get(key) is not None
    clock.now += 0.2
    assert cache.get(key) is None


def test_cache_is_bounded_least_recently_used_first() -> None:
    cache = CredentialCache(ttl=60, max_entries=2)
    keys = [cache.key(basic(f"jdoe:{i}")) for i in range(3)]
    cache.put(keys[0], account())
    cache.put(keys[1], account())
    cache.get(keys[0])
    cache.put(keys[2], account())
    assert len(cache) == 2
    assert cache.get(keys[1]) is None
    assert cache.get(keys[0]) is not None


def test_forget_account_drops_only_its_entries() -> None:
    cache = CredentialCache(ttl=60, max_entries=10)
    mine, other = cache.key(basic("a:1")), cache.key(basic("b:2"))
    cache.put(mine, account(id=1))
    cache.put(other, account(id=2, login="b"))
    cache.forget_account(1)
    assert cache.get(mine) is None
    assert cache.get(other) is not None


@pytest.mark.anyio
async def test_authenticator_verifies_once_then_hits_the_cache() -> None:
    stored = account(hash_password("right-password"))
    loads: list[str] = []

    async def load(login: str) -> Account | None:
        loads.append(login)
        return stored if login == "jdoe" else None

    auth = Authenticator(cache=CredentialCache(ttl=60, max_entries=10), load_account=load)
    header = basic("jdoe:right-password")
    assert await auth.authenticate(header, "jdoe") == stored
    assert await auth.authenticate(header, "jdoe") == stored
    assert loads == ["jdoe"]
    with pytest.raises(Unauthorized):
        await auth.authenticate(basic("jdoe:wrong-password"), "jdoe")
    with pytest.raises(Unauthorized):
        await auth.authenticate(basic("nobody:right-password"), "nobody")
    with pytest.raises(Unauthorized):  # valid credentials, another login in the URL
        await auth.authenticate(header, "someone-else")


def counting_loader(stored: Account) -> tuple[list[str], object]:
    loads: list[str] = []

    async def load(login: str) -> Account | None:
        loads.append(login)
        return stored if login == stored.login else None

    return loads, load


@pytest.mark.anyio
async def test_concurrent_misses_for_the_same_credentials_share_one_check() -> None:
    stored = account(hash_password("right-password"))
    loads, load = counting_loader(stored)
    auth = Authenticator(cache=CredentialCache(ttl=60, max_entries=10), load_account=load)  # type: ignore[arg-type]
    header = basic("jdoe:right-password")
    results = await asyncio.gather(*(auth.authenticate(header, "jdoe") for _ in range(16)))
    assert results == [stored] * 16
    assert loads == ["jdoe"]
    auth.close()


@pytest.mark.anyio
async def test_a_wrong_password_is_remembered_until_credentials_change() -> None:
    stored = account(hash_password("right-password"))
    loads, load = counting_loader(stored)
    cache = CredentialCache(ttl=60, max_entries=10)
    auth = Authenticator(cache=cache, load_account=load)  # type: ignore[arg-type]
    wrong = basic("jdoe:wrong-password")
    for _ in range(3):
        with pytest.raises(Unauthorized):
            await auth.authenticate(wrong, "jdoe")
    assert loads == ["jdoe"]  # checked once; the next two were answered from memory
    cache.clear()  # what a credential-epoch change does
    with pytest.raises(Unauthorized):
        await auth.authenticate(wrong, "jdoe")
    assert loads == ["jdoe", "jdoe"]
    auth.close()


def test_a_remembered_failure_expires(clock: MonotonicClock) -> None:
    cache = CredentialCache(ttl=60, max_entries=10)  # failures: 10 s by default
    key = cache.key(basic("jdoe:wrong"))
    cache.put_failure(key)
    assert cache.failed(key)
    clock.now += 9.9
    assert cache.failed(key)
    clock.now += 0.2
    assert not cache.failed(key)


@pytest.mark.anyio
async def test_checks_beyond_the_bound_are_refused_with_503_and_retry_after() -> None:
    stored = account(hash_password("right-password"))
    _, load = counting_loader(stored)
    auth = Authenticator(
        cache=CredentialCache(ttl=60, max_entries=10),
        load_account=load,  # type: ignore[arg-type]
        password_checks=PasswordChecks(capacity=2),
    )
    attempts = [auth.authenticate(basic(f"jdoe:guess-{n}"), "jdoe") for n in range(4)]
    outcomes = await asyncio.gather(*attempts, return_exceptions=True)
    assert [type(o) for o in outcomes] == [Unauthorized, Unauthorized, Busy, Busy]
    response = render_error(outcomes[2], None, context="test")  # type: ignore[arg-type]
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    # once the two checks are done, new ones are taken again
    with pytest.raises(Unauthorized):
        await auth.authenticate(basic("jdoe:guess-5"), "jdoe")
    auth.close()


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX thread priorities")
def test_password_checks_run_at_the_lowest_cpu_priority() -> None:
    auth = Authenticator(cache=CredentialCache(ttl=60, max_entries=10), load_account=None)  # type: ignore[arg-type]
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    checker = auth.password_checks._thread.submit(
        lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    )
    assert checker.result(timeout=5) == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own  # loop untouched
    auth.close()


@pytest.mark.anyio
async def test_a_token_is_checked_by_its_digest_without_argon2() -> None:
    from dataclasses import replace

    from onstream.users.tokens import generate_token, token_digest

    token = generate_token()
    stored = account(hash_password("right-password"))
    loads, load = counting_loader(stored)
    digests: list[tuple[str, str]] = []

    async def load_token(login: str, digest: str) -> tuple[Account, float | None] | None:
        digests.append((login, digest))
        return (replace(stored, read_only=True), None) if digest == token_digest(token) else None

    auth = Authenticator(
        cache=CredentialCache(ttl=60, max_entries=10),
        load_account=load,  # type: ignore[arg-type]
        load_token=load_token,
    )
    found = await auth.authenticate(basic(f"jdoe:{token}"), "jdoe")
    assert found.read_only
    assert loads == []  # no password hash was loaded, so none was verified
    assert digests == [("jdoe", token_digest(token))]
    assert token not in digests[0][1]
    # a password is never looked up as a token; a token-shaped wrong one falls back to it
    assert not (await auth.authenticate(basic("jdoe:right-password"), "jdoe")).read_only
    with pytest.raises(Unauthorized):
        await auth.authenticate(basic(f"jdoe:{generate_token()}"), "jdoe")
    assert len(digests) == 2
    auth.close()


def test_a_cache_entry_never_outlives_the_credentials_expiry(clock: MonotonicClock) -> None:
    cache = CredentialCache(ttl=60, max_entries=10)
    key = cache.key(basic("jdoe:token"))
    cache.put(key, account(), valid_for=5)
    clock.now += 4.9
    assert cache.get(key) is not None
    clock.now += 0.2
    assert cache.get(key) is None


@pytest.mark.anyio
async def test_a_disabled_accounts_hash_is_never_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dataclasses import replace

    stored = replace(account(hash_password("right-password")), disabled=True)
    _, load = counting_loader(stored)
    checked: list[str | None] = []
    verify = checks_module.verify_password

    def spy(password_hash: str | None, password: str) -> bool:
        checked.append(password_hash)
        return verify(password_hash, password)

    monkeypatch.setattr(checks_module, "verify_password", spy)
    auth = Authenticator(cache=CredentialCache(ttl=60, max_entries=10), load_account=load)  # type: ignore[arg-type]
    messages = []
    for password in ("right-password", "wrong-password"):
        with pytest.raises(Unauthorized) as refused:
            await auth.authenticate(basic(f"jdoe:{password}"), "jdoe")
        messages.append((refused.value.status, refused.value.message))
    assert messages[0] == messages[1] == (401, "Wrong login or password")
    assert checked == [None, None]  # the unknown login's dummy hash, for the same time
    auth.close()
