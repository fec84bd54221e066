"""Guesses sent all at once, through a real `onstream serve`: each takes its slot in the
counters before it is checked, so from one address at most the limit are checked (the others
get 429 without a check), on one worker in memory and on two workers sharing Redis. One
secret has one counter whatever the door: a login's password on the API, the sign-in page
and the settings page; a session's passcode on its join page and its recordings' playback
pages. A right answer gives its slot back.

The servers trust 127.0.0.1 as a proxy, so each test speaks from addresses of its own
(`X-Forwarded-For`) and the counters of one test never reach another's.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from onstream.config import Settings
from onstream.recordings.rules import playback_path
from onstream.throttle import Throttle
from tests.support.api import ok, rest
from tests.support.recordings import add_recording, new_session
from tests.support.server import ServerProcess
from tests.web.account.helpers import csrf_of, post_form

PER_ADDRESS = 5
PER_TARGET = 8
PARALLEL = 40
REDIS = "redis://127.0.0.1:6379/5"
_addresses = itertools.count(1)
_logins = itertools.count(1)


def limited(workdir: Path, **env: str) -> ServerProcess:
    return ServerProcess(
        workdir=workdir,
        database_url=f"sqlite:///{workdir / 'onstream.db'}",
        extra_env={
            "ONSTREAM_RATE_LIMIT_ADDRESS": f"{PER_ADDRESS}/minute",
            "ONSTREAM_RATE_LIMIT_TARGET": f"{PER_TARGET}/hour",
            "ONSTREAM_TRUSTED_PROXIES": "127.0.0.1",
            **env,
        },
    )


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A single-worker server counting in its memory."""
    proc = limited(tmp_path_factory.mktemp("one-worker"))
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Two worker processes counting in the real Redis, under a prefix of their own."""
    prefix = f"onstream-test-{uuid.uuid4().hex}"
    proc = limited(
        tmp_path_factory.mktemp("two-workers"),
        ONSTREAM_REDIS_URL=REDIS,
        ONSTREAM_RATE_LIMIT_PREFIX=prefix,
    )
    proc.start("--workers", "2")
    yield proc
    proc.stop()

    async def forget() -> None:
        throttle = Throttle(Settings(redis_url=REDIS, rate_limit_prefix=prefix))
        await throttle.reset()
        await throttle.aclose()

    asyncio.run(forget())


def new_address() -> dict[str, str]:
    """The header that makes the next requests come from an address no test used."""
    n = next(_addresses)
    return {"x-forwarded-for": f"198.18.{n // 250}.{n % 250 + 1}"}


def new_account(server: ServerProcess) -> tuple[str, str]:
    login, password = f"guessed{next(_logins)}", f"right-{uuid.uuid4().hex}"
    server.add_account(login, password)
    return login, password


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


async def parallel_basic(
    server: ServerProcess, login: str, passwords: list[str], headers: dict[str, str]
) -> list[httpx.Response]:
    """One request per password, all sent at once on connections of their own."""
    limits = httpx.Limits(max_connections=len(passwords))
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=limits) as client:
        return await asyncio.gather(
            *(
                client.get(f"/api/2/{login}/authverify", auth=(login, p), headers=headers)
                for p in passwords
            )
        )


def assert_at_most_the_limit_checked(found: Counter[int], wrong: int) -> None:
    """`wrong` is the status of a checked wrong answer; the others were refused unchecked."""
    assert 1 <= found[wrong] <= PER_ADDRESS, found
    assert found[429] >= PARALLEL - PER_ADDRESS - found[503], found
    assert set(found) <= {wrong, 429, 503}, found


@pytest.mark.parametrize("server_name", ["one_worker", "two_workers"])
def test_parallel_wrong_api_passwords_check_at_most_the_limit(
    server_name: str, request: pytest.FixtureRequest
) -> None:
    server: ServerProcess = request.getfixturevalue(server_name)
    login, password = new_account(server)
    wrong = [f"guess-{n}" for n in range(PARALLEL)]
    found = statuses(asyncio.run(parallel_basic(server, login, wrong, new_address())))
    assert_at_most_the_limit_checked(found, 401)
    # the owner, elsewhere, is not locked out by it
    assert basic(server, login, password, new_address()) == 200


async def parallel_sign_ins(server: ServerProcess, login: str) -> list[httpx.Response]:
    """One browser posting the sign-in form with PARALLEL wrong passwords at once."""
    limits = httpx.Limits(max_connections=PARALLEL)
    async with httpx.AsyncClient(
        base_url=server.base_url, timeout=60, limits=limits, headers=new_address()
    ) as browser:
        page = await browser.get("/account/sign-in")
        csrf = csrf_of(page.text)
        return await asyncio.gather(
            *(
                browser.post(
                    "/account/sign-in",
                    data={"csrf": csrf, "login": login, "password": f"guess-{n}"},
                )
                for n in range(PARALLEL)
            )
        )


def test_parallel_sign_ins_check_at_most_the_limit(one_worker: ServerProcess) -> None:
    login, password = new_account(one_worker)
    responses = asyncio.run(parallel_sign_ins(one_worker, login))
    found = statuses(responses)
    assert_at_most_the_limit_checked(found, 400)
    refused = next(r for r in responses if r.status_code == 429)
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in refused.text
    assert sign_in(one_worker, login, password, new_address()) == 303


async def parallel_passcodes(
    server: ServerProcess, path: str, field: str, headers: dict[str, str]
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=PARALLEL)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=limits) as client:
        return await asyncio.gather(
            *(
                client.post(path, data={"name": "Eve", field: f"{n:04d}"}, headers=headers)
                for n in range(PARALLEL)
            )
        )


def test_parallel_join_passcodes_check_at_most_the_limit(two_workers: ServerProcess) -> None:
    server = two_workers
    login, password = new_account(server)
    with server.api_client(login, password) as owner:
        new_session(owner, friendly_url="standup", password="9137")
    found = statuses(
        asyncio.run(parallel_passcodes(server, f"/{login}/standup", "passcode", new_address()))
    )
    assert_at_most_the_limit_checked(found, 403)


def test_wrong_current_passwords_on_the_settings_page_end_in_429(
    one_worker: ServerProcess,
) -> None:
    login, password = new_account(one_worker)
    with one_worker.client(headers=new_address()) as browser:
        page = browser.get("/account/sign-in")
        signed = browser.post(
            "/account/sign-in",
            data={"csrf": csrf_of(page.text), "login": login, "password": password},
        )
        assert signed.status_code == 303, signed.text
        answers = [
            post_form(
                browser,
                "/account/settings",
                section="password",
                current_password=f"guess-{n}",
                password="a-new-password-1",
            )
            for n in range(PER_ADDRESS + 1)
        ]
        assert [a.status_code for a in answers] == [400] * PER_ADDRESS + [429]
        assert int(answers[-1].headers["retry-after"]) > 0
        assert "Too many failed sign-ins" in answers[-1].text
        # refused unchecked: even the right password is not taken now
        right = post_form(
            browser,
            "/account/settings",
            section="password",
            current_password=password,
            password="a-new-password-1",
        )
        assert right.status_code == 429
    with one_worker.client(headers=new_address()) as elsewhere:
        page = elsewhere.get("/account/sign-in")
        data = {"csrf": csrf_of(page.text), "login": login, "password": password}
        assert elsewhere.post("/account/sign-in", data=data).status_code == 303


def sign_in(server: ServerProcess, login: str, password: str, headers: dict[str, str]) -> int:
    with server.client(headers=headers) as browser:
        page = browser.get("/account/sign-in")
        data = {"csrf": csrf_of(page.text), "login": login, "password": password}
        return browser.post("/account/sign-in", data=data).status_code


def basic(server: ServerProcess, login: str, password: str, headers: dict[str, str]) -> int:
    with server.client(headers=headers, auth=(login, password)) as client:
        return client.get(f"/api/2/{login}/authverify").status_code


def test_the_api_and_the_sign_in_page_count_one_password(one_worker: ServerProcess) -> None:
    login, password = new_account(one_worker)
    # one address: API failures count against its sign-ins, and the other way round
    here = new_address()
    for n in range(PER_ADDRESS - 2):
        assert basic(one_worker, login, f"guess-{n}", here) == 401
    assert sign_in(one_worker, login, "guess-x", here) == 400
    assert sign_in(one_worker, login, "guess-y", here) == 400
    assert basic(one_worker, login, password, here) == 429
    assert sign_in(one_worker, login, password, here) == 429
    # one login, many addresses: both doors fill the login's one counter
    other, secret = new_account(one_worker)
    for n in range(PER_TARGET // 2):
        assert basic(one_worker, other, f"guess-{n}", new_address()) == 401
        assert sign_in(one_worker, other, f"guess-{n}", new_address()) == 400
    assert sign_in(one_worker, other, secret, new_address()) == 429
    assert basic(one_worker, other, secret, new_address()) == 429


def test_the_join_page_and_the_playback_page_count_one_passcode(
    one_worker: ServerProcess,
) -> None:
    login, password = new_account(one_worker)
    with one_worker.api_client(login, password) as owner:
        session_id = new_session(owner, friendly_url="review", password="5521")
        recording_id = add_recording(one_worker, owner, session_id, title="Review")
    join, play = f"/{login}/review", playback_path(recording_id, "Review")
    here = new_address()
    with one_worker.client(headers=here) as visitor:
        for n in range(PER_ADDRESS - 2):
            wrong = visitor.post(join, data={"name": "Eve", "passcode": f"{n:04d}"})
            assert wrong.status_code == 403
        for n in range(2):
            wrong = visitor.post(play, data={"name": "Eve", "password": f"9{n:03d}"})
            assert wrong.status_code == 403
        assert visitor.post(play, data={"name": "Eve", "password": "5521"}).status_code == 429
        assert visitor.post(join, data={"name": "Eve", "passcode": "5521"}).status_code == 429
    with one_worker.client(headers=new_address()) as viewer:
        assert viewer.post(play, data={"name": "Ana", "password": "5521"}).status_code == 303


@pytest.mark.parametrize("server_name", ["one_worker", "two_workers"])
def test_a_right_password_gives_its_slot_back(
    server_name: str, request: pytest.FixtureRequest
) -> None:
    server: ServerProcess = request.getfixturevalue(server_name)
    login, password = new_account(server)
    here = new_address()
    for n in range(PER_ADDRESS - 1):
        assert basic(server, login, f"guess-{n}", here) == 401
    # the last slot: the right password works, on either door, and hands the slot back
    assert basic(server, login, password, here) == 200
    assert sign_in(server, login, password, here) == 303
    assert basic(server, login, password, here) == 200
    assert basic(server, login, "guess-last", here) == 401
    assert basic(server, login, "guess-over", here) == 429


def test_a_recording_password_of_its_own_has_its_own_counter(one_worker: ServerProcess) -> None:
    login, password = new_account(one_worker)
    with one_worker.api_client(login, password) as owner:
        session_id = new_session(owner, friendly_url="retro", password="8080")
        recording_id = add_recording(one_worker, owner, session_id, title="Retro")
        ok(rest(owner, "POST", "recording", {"id": recording_id, "password": "own-secret"}))
    join, play = f"/{login}/retro", playback_path(recording_id, "Retro")
    with one_worker.client(headers=new_address()) as visitor:
        for n in range(PER_ADDRESS):
            wrong = visitor.post(join, data={"name": "Eve", "passcode": f"{n:04d}"})
            assert wrong.status_code == 403
        assert visitor.post(join, data={"name": "Eve", "passcode": "8080"}).status_code == 429
        # another secret, another counter: the old passcode is just a wrong password here
        assert visitor.post(play, data={"name": "Eve", "password": "8080"}).status_code == 403
        right = visitor.post(play, data={"name": "Eve", "password": "own-secret"})
        assert right.status_code == 303
