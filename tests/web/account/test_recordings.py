"""The account center's recordings pages in-process: list, rename, password, delete, play;
the recordings being prepared or failed, with "Try again"; errors with kept values, CSRF,
isolation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.recordings import add_recording, get_recording, media_files, wav_bytes
from tests.support.server import Server
from tests.web.account.helpers import csrf_of, signed_in
from tests.web.helpers import login_of, new_session
from tests.web.test_pages import visible_text

from onstream.clock import utcnow
from onstream.meetings import jobs
from onstream.meetings.tables import recording_jobs
from onstream.storage.database import Connection

NOT_FOUND = "This link leads to no session"
REFUSED = "This form was refused"


@pytest.fixture
def account(make_account: MakeAccount) -> httpx.Client:
    """A fresh account (API client) for each test, so its recordings are its own."""
    return make_account()


@pytest.fixture
def browser(server: Server, account: httpx.Client) -> Iterator[httpx.Client]:
    """`account`, signed in to the account center."""
    with signed_in(server, login_of(account), f"{login_of(account)}-password") as client:
        yield client


def token(client: httpx.Client) -> str:
    return csrf_of(client.get("/account/recordings").text)


def test_recordings_are_listed_on_their_page_and_the_sessions(
    server: Server, account: httpx.Client, browser: httpx.Client
) -> None:
    session = new_session(account, topic="Recorded review")
    recording_id = add_recording(server, account, session.id, title="First take")
    listing = browser.get("/account/recordings")
    assert listing.status_code == 200
    assert "First take" in visible_text(listing.text)
    assert f'href="/play/{recording_id}-First-take"' in listing.text
    detail = browser.get(f"/account/sessions/{session.id}")
    assert f'href="/account/recordings/{recording_id}"' in detail.text
    assert f"/play/{recording_id}-First-take" in detail.text
    page = browser.get(f"/account/recordings/{recording_id}")
    assert page.status_code == 200
    assert "0:26" in visible_text(page.text)


def test_rename_and_protect_a_recording(
    server: Server, account: httpx.Client, browser: httpx.Client
) -> None:
    session = new_session(account)
    recording_id = add_recording(server, account, session.id, title="Draft")
    path = f"/account/recordings/{recording_id}"
    csrf = csrf_of(browser.get(path).text)
    response = browser.post(path, data={"csrf": csrf, "section": "title", "title": "Final cut"})
    assert response.status_code == 303
    assert "The recording is saved." in browser.get(path).text
    assert get_recording(account, recording_id)["title"] == "Final cut"
    assert server.get(f"/play/{recording_id}-Draft").headers["location"].endswith("Final-cut")

    response = browser.post(path, data={"csrf": csrf, "section": "password", "password": "pw1"})
    assert response.status_code == 303
    assert get_recording(account, recording_id)["password"] == "pw1"
    assert "Yes: viewers must enter it" in browser.get(path).text
    assert "password" in server.get(f"/play/{recording_id}-Final-cut").text.lower()

    response = browser.post(path, data={"csrf": csrf, "section": "clear-password"})
    assert response.status_code == 303
    assert get_recording(account, recording_id)["password"] in (None, "")


def test_recording_errors_are_the_apis_and_keep_what_was_typed(
    server: Server, account: httpx.Client, browser: httpx.Client
) -> None:
    session = new_session(account)
    recording_id = add_recording(server, account, session.id, title="Keep me")
    path = f"/account/recordings/{recording_id}"
    csrf = csrf_of(browser.get(path).text)
    long_title = "t" * 256
    response = browser.post(path, data={"csrf": csrf, "section": "title", "title": long_title})
    assert response.status_code == 400
    assert "title must be 1 to 255 characters long" in response.text
    assert f'value="{long_title}"' in response.text
    assert 'aria-describedby="title-error"' in response.text
    long_password = "p" * 256
    response = browser.post(
        path, data={"csrf": csrf, "section": "password", "password": long_password}
    )
    assert response.status_code == 400
    assert "password must be at most" in response.text
    assert f'value="{long_password}"' in response.text
    assert get_recording(account, recording_id)["title"] == "Keep me"


def test_delete_a_recording_asks_then_removes_its_media(
    server: Server, account: httpx.Client, browser: httpx.Client, tmp_path: Path
) -> None:
    session = new_session(account)
    media = tmp_path / "take.wav"
    media.write_bytes(wav_bytes(0.2))
    before = media_files(server)
    recording_id = add_recording(server, account, session.id, title="Gone soon", media=media)
    assert len(media_files(server) - before) == 1
    path = f"/account/recordings/{recording_id}/delete"
    confirm = browser.get(path)
    assert "Delete “Gone soon”?" in visible_text(confirm.text)
    response = browser.post(path, data={"csrf": csrf_of(confirm.text)})
    assert response.status_code == 303
    assert "The recording is deleted." in browser.get("/account/recordings").text
    assert media_files(server) == before
    assert server.get(f"/play/{recording_id}-Gone-soon").status_code == 404
    assert browser.get(f"/account/recordings/{recording_id}").status_code == 404


def test_another_accounts_recording_is_the_404_page_everywhere(
    server: Server, make_account: MakeAccount, browser: httpx.Client
) -> None:
    stranger = make_account()
    theirs = add_recording(server, stranger, new_session(stranger).id, title="Secret take")
    csrf = token(browser)
    for recording_id in (theirs, 2**31, 99999999999999):
        path = f"/account/recordings/{recording_id}"
        for method, target, data in [
            ("GET", path, None),
            ("POST", path, {"csrf": csrf, "section": "title", "title": "Mine now"}),
            ("POST", path, {"csrf": csrf, "section": "clear-password"}),
            ("GET", f"{path}/delete", None),
            ("POST", f"{path}/delete", {"csrf": csrf}),
        ]:
            response = browser.request(method, target, data=data)
            assert response.status_code == 404, (method, target)
            assert NOT_FOUND in response.text
            assert "Secret take" not in response.text
    assert get_recording(stranger, theirs)["title"] == "Secret take"
    assert "Secret take" not in browser.get("/account/recordings").text


def test_recording_forms_without_the_csrf_token_are_refused(
    server: Server, account: httpx.Client, browser: httpx.Client
) -> None:
    recording_id = add_recording(server, account, new_session(account).id, title="Untouched")
    path = f"/account/recordings/{recording_id}"
    for target, data in [
        (path, {"section": "title", "title": "Forged"}),
        (path, {"section": "password", "password": "x", "csrf": "0" * 64}),
        (f"{path}/delete", {}),
    ]:
        response = browser.post(target, data=data)
        assert response.status_code == 403
        assert REFUSED in response.text
    found = get_recording(account, recording_id)
    assert found["title"] == "Untouched"
    assert found["password"] in (None, "")


def add_job(server: Server, session_id: int, **values: Any) -> int:
    """A recording job of the session as the end of its room queues it, then with `values`
    (a worker's outcome); its id."""
    source = f"/recordings/{session_id}"

    async def work(conn: Connection) -> int:
        await jobs.enqueue(conn, session_id=session_id, source_dir=source, now=utcnow())
        if values:
            query = recording_jobs.update().where(recording_jobs.c.source_dir == source)
            await conn.execute(query.values(**values))
        found = recording_jobs.select().where(recording_jobs.c.source_dir == source)
        return int((await conn.execute(found)).one().id)

    return server.run(work)


def job_status(server: Server, job_id: int) -> str:
    async def work(conn: Connection) -> str:
        return (await jobs.get(conn, job_id)).status

    return server.run(work, write=False)


def test_the_accounts_failed_job_shows_why_and_try_again_queues_it(
    server: Server, account: httpx.Client, browser: httpx.Client
) -> None:
    failed = add_job(
        server,
        new_session(account, topic="Silent call").id,
        status=jobs.FAILED,
        last_error="no audio or video was recorded",
        finished_at=utcnow(),
    )
    add_job(server, new_session(account, topic="Still going").id)
    add_job(
        server,
        new_session(account, topic="Crashed").id,
        status=jobs.FAILED,
        last_error="Traceback (most recent call last): KeyError: 'x'",
    )
    add_job(
        server,
        new_session(account, topic="Partly there").id,
        status=jobs.DONE,
        skipped="video-7.mjr: no playable media",
    )
    page = visible_text(browser.get("/account/recordings").text)
    assert "Silent call since" in page
    assert "failed: no audio or video was recorded" in page
    assert "Still going since" in page
    assert "being prepared" in page
    assert "failed: the recording could not be made; the operator has the details" in page
    assert "Traceback" not in page
    assert "KeyError" not in page
    assert "Left out: video-7.mjr: no playable media" in page
    assert "Try again Silent call" in page

    path = f"/account/recordings/jobs/{failed}/retry"
    assert browser.post(path, data={}).status_code == 403  # no CSRF token: refused
    assert job_status(server, failed) == jobs.FAILED
    response = browser.post(path, data={"csrf": token(browser)})
    assert response.status_code == 303
    assert job_status(server, failed) == jobs.PENDING
    page = visible_text(browser.get("/account/recordings").text)
    assert "The recording is being prepared again." in page
    response = browser.post(path, data={"csrf": token(browser)})  # no longer failed
    assert response.status_code == 303
    assert "That recording is being prepared already or is ready." in visible_text(
        browser.get("/account/recordings").text
    )
    assert job_status(server, failed) == jobs.PENDING


def test_another_accounts_job_is_not_shown_and_its_retry_is_404(
    server: Server, make_account: MakeAccount, browser: httpx.Client
) -> None:
    stranger = make_account()
    theirs = add_job(
        server,
        new_session(stranger, topic="Their meeting").id,
        status=jobs.FAILED,
        last_error="no audio or video was recorded",
    )
    assert "Their meeting" not in browser.get("/account/recordings").text
    response = browser.post(
        f"/account/recordings/jobs/{theirs}/retry", data={"csrf": token(browser)}
    )
    assert response.status_code == 404
    assert NOT_FOUND in response.text
    assert job_status(server, theirs) == jobs.FAILED
    missing = browser.post(
        "/account/recordings/jobs/999999999/retry", data={"csrf": token(browser)}
    )
    assert missing.status_code == 404
