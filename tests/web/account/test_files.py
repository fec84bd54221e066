"""The account center's files pages in-process: upload, share, unshare, delete, download;
errors with kept values, CSRF, isolation (the recordings pages: test_account_recordings)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import MakeAccount
from tests.support.app import AppServer
from tests.support.recordings import media_files
from tests.support.server import Server
from tests.web.account.helpers import csrf_of, signed_in
from tests.web.helpers import login_of, new_session
from tests.web.test_pages import assert_page_headers, visible_text

from onstream.files.tables import files, files_in_sessions

NOT_FOUND = "This link leads to no session"
REFUSED = "This form was refused"


def password_of(client: httpx.Client) -> str:
    return f"{login_of(client)}-password"


@pytest.fixture
def account(make_account: MakeAccount) -> httpx.Client:
    """A fresh account (API client) for each test, so file and recording lists are its own."""
    return make_account(timezone="UP1", dst=True)


@pytest.fixture
def browser(server: Server, account: httpx.Client) -> Iterator[httpx.Client]:
    """`account`, signed in to the account center."""
    with signed_in(server, login_of(account), password_of(account)) as client:
        yield client


def token(client: httpx.Client) -> str:
    return csrf_of(client.get("/account/files").text)


def upload(
    client: httpx.Client,
    content: bytes = b"hello, slides",
    *,
    name: str = "slides.txt",
    description: str = "Slides",
    csrf: str | None = None,
) -> httpx.Response:
    data = {"csrf": token(client) if csrf is None else csrf, "file_description": description}
    return client.post("/account/files", data=data, files={"file": (name, content, "text/plain")})


def uploaded(client: httpx.Client, **options: str) -> int:
    response = upload(client, **options)  # type: ignore[arg-type]
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/account/files/([0-9]+)", response.headers["location"])
    assert found is not None
    return int(found.group(1))


def live_files(server: Server) -> set[int]:
    rows = server.query(select(files.c.id).where(files.c.deleted_at.is_(None)))
    return {int(str(r["id"])) for r in rows}


def shares(server: Server, file_id: int) -> list[tuple[int, bool]]:
    query = select(files_in_sessions).where(files_in_sessions.c.file_id == file_id)
    return [(int(str(r["session_id"])), bool(r["is_auto_opening"])) for r in server.query(query)]


# --- files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/account/files", "/account/files/1", "/account/recordings", "/account/recordings/1"]
)
def test_the_pages_ask_to_sign_in(server: Server, path: str) -> None:
    response = server.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/account/sign-in?next=")


def test_upload_lists_and_downloads_the_file(server: Server, browser: httpx.Client) -> None:
    before = media_files(server)
    file_id = uploaded(browser, description="Quarterly slides")
    assert len(media_files(server) - before) == 1
    page = browser.get(f"/account/files/{file_id}")
    assert page.status_code == 200
    assert_page_headers(page)
    text = visible_text(page.text)
    assert "The file is uploaded." in text
    assert "Quarterly slides" in text
    assert "slides.txt" in text
    link = re.search(r'href="(/files/[^"]+/slides\.txt)"', page.text)
    assert link is not None
    download = server.get(link.group(1))
    assert download.status_code == 200
    assert download.content == b"hello, slides"
    listing = browser.get("/account/files")
    assert "Quarterly slides" in visible_text(listing.text)
    assert f'href="/account/files/{file_id}"' in listing.text


def test_a_refused_upload_keeps_the_description_and_leaves_no_media(
    server: Server, browser: httpx.Client
) -> None:
    before_media, before_rows = media_files(server), live_files(server)
    response = upload(browser, description="d" * 256)
    assert response.status_code == 400
    assert "file_description must be at most 255 characters long" in response.text
    assert 'aria-invalid="true" aria-describedby="file_description-error"' in response.text
    assert f'value="{"d" * 256}"' in response.text
    assert media_files(server) == before_media
    assert live_files(server) == before_rows


def test_no_file_chosen_is_the_apis_error_beside_the_field(
    server: Server, browser: httpx.Client
) -> None:
    before = media_files(server)
    data = {"csrf": token(browser), "file_description": "Kept"}
    response = browser.post("/account/files", data=data, files={"file": ("", b"", "")})
    assert response.status_code == 400
    assert 'id="file-error"' in response.text
    assert "is_url 0 needs the file itself" in response.text
    assert 'value="Kept"' in response.text
    assert media_files(server) == before


@pytest.fixture(scope="module")
def small(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[Path], str]
) -> Iterator[AppServer]:
    """A server of its own whose upload limit is 1000 bytes."""
    workdir: Path = tmp_path_factory.mktemp("small-account-uploads")
    env = {"ONSTREAM_UPLOAD_MAX_BYTES": "1000", "ONSTREAM_MAIL_WORKER": "false"}
    app = AppServer(workdir=workdir, database_url=new_database(workdir), extra_env=env).start()
    app.add_account("uploader", "uploader-password", email="u@example.com")
    yield app
    app.close()


def test_the_upload_limit_is_the_apis(small: AppServer) -> None:
    with signed_in(small, "uploader", "uploader-password") as client:
        assert uploaded(client, content=b"x" * 1000) > 0  # type: ignore[arg-type]
        kept = media_files(small)
        too_big = upload(client, b"x" * 1001, description="Too big")
        assert too_big.status_code == 413
        assert "The file is larger than the upload limit of 1000 bytes" in too_big.text
        assert 'value="Too big"' in too_big.text
        far_too_big = upload(client, b"x" * (2 * 1024 * 1024))
        assert far_too_big.status_code == 413
        assert "The file is larger than the upload limit of 1000 bytes" in far_too_big.text
        assert media_files(small) == kept
        assert "1.0 KB" in client.get("/account/files").text  # the limit, told beside the field


def test_share_with_auto_open_then_unshare(
    server: Server, account: httpx.Client, browser: httpx.Client
) -> None:
    file_id = uploaded(browser)
    session = new_session(account, topic="Board meeting")
    page = browser.get(f"/account/files/{file_id}")
    assert "Board meeting, Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST" in page.text
    response = browser.post(
        f"/account/files/{file_id}/share",
        data={"csrf": csrf_of(page.text), "session_id": str(session.id), "is_auto_opening": "1"},
    )
    assert response.status_code == 303
    assert shares(server, file_id) == [(session.id, True)]
    text = visible_text(browser.get(f"/account/files/{file_id}").text)
    assert "The file is shared in the session." in text
    assert "Board meeting Opens for everyone in the room" in text
    assert "Slides" in visible_text(browser.get(f"/account/sessions/{session.id}").text)

    again = browser.post(
        f"/account/files/{file_id}/share",
        data={"csrf": csrf_of(page.text), "session_id": str(session.id)},
    )
    assert again.status_code == 409
    assert f"File {file_id} is already in session {session.id}" in again.text
    assert 'aria-describedby="session_id-error"' in again.text
    assert shares(server, file_id) == [(session.id, True)]

    unshare = {"csrf": csrf_of(page.text), "session_id": str(session.id)}
    response = browser.post(f"/account/files/{file_id}/unshare", data=unshare)
    assert response.status_code == 303
    assert shares(server, file_id) == []
    assert "no longer shared" in browser.get(f"/account/files/{file_id}").text
    second = browser.post(f"/account/files/{file_id}/unshare", data=unshare)
    assert second.status_code == 404
    assert NOT_FOUND in second.text


def test_share_errors_are_the_apis(
    server: Server, make_account: MakeAccount, account: httpx.Client, browser: httpx.Client
) -> None:
    file_id = uploaded(browser)
    new_session(account, topic="Mine")
    theirs = new_session(make_account(), topic="Theirs")
    csrf = token(browser)
    for value, message in [
        ("", "Parameter 'session_id' must be a whole number between 1 and 2147483647"),
        ("abc", "Parameter 'session_id' must be a whole number between 1 and 2147483647"),
        (str(theirs.id), f"Session {theirs.id} does not exist"),
    ]:
        response = browser.post(
            f"/account/files/{file_id}/share", data={"csrf": csrf, "session_id": value}
        )
        assert response.status_code == 400, response.text
        assert message in html.unescape(response.text)
        assert 'id="session_id-error"' in response.text
    assert shares(server, file_id) == []


def test_delete_asks_then_removes_the_file_and_its_bytes(
    server: Server, account: httpx.Client, browser: httpx.Client
) -> None:
    before = media_files(server)
    file_id = uploaded(browser, description="Old notes")
    session = new_session(account)
    link = re.search(r'href="(/files/[^"]+)"', browser.get(f"/account/files/{file_id}").text)
    assert link is not None
    csrf = token(browser)
    browser.post(
        f"/account/files/{file_id}/share", data={"csrf": csrf, "session_id": str(session.id)}
    )
    confirm = browser.get(f"/account/files/{file_id}/delete")
    assert confirm.status_code == 200
    assert "Delete “Old notes”?" in visible_text(confirm.text)
    assert file_id in live_files(server)  # asking deletes nothing
    response = browser.post(f"/account/files/{file_id}/delete", data={"csrf": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/account/files"
    assert "The file is deleted." in browser.get("/account/files").text
    assert "Old notes" not in browser.get("/account/files").text
    assert file_id not in live_files(server)
    assert shares(server, file_id) == []
    assert media_files(server) == before
    assert server.get(link.group(1)).status_code == 404
    assert browser.get(f"/account/files/{file_id}").status_code == 404


def test_another_accounts_file_is_the_404_page_everywhere(
    server: Server, make_account: MakeAccount, account: httpx.Client, browser: httpx.Client
) -> None:
    stranger = make_account()
    with signed_in(server, login_of(stranger), password_of(stranger)) as theirs:
        their_file = uploaded(theirs, description="Private plans")
    mine = new_session(account)
    csrf = token(browser)
    for file_id in (their_file, 2**31, 99999999999999):
        for method, path, data in [
            ("GET", f"/account/files/{file_id}", None),
            ("GET", f"/account/files/{file_id}/delete", None),
            ("POST", f"/account/files/{file_id}/delete", {"csrf": csrf}),
            ("POST", f"/account/files/{file_id}/share", {"csrf": csrf, "session_id": str(mine.id)}),
            ("POST", f"/account/files/{file_id}/unshare", {"csrf": csrf, "session_id": "1"}),
        ]:
            response = browser.request(method, path, data=data)
            assert response.status_code == 404, (method, path)
            assert NOT_FOUND in response.text
            assert "Private plans" not in response.text
    assert their_file in live_files(server)
    assert shares(server, their_file) == []
    assert "Private plans" not in browser.get("/account/files").text


def test_file_forms_without_the_csrf_token_are_refused(
    server: Server, account: httpx.Client, browser: httpx.Client
) -> None:
    file_id = uploaded(browser)
    session = new_session(account)
    before = media_files(server)
    response = upload(browser, csrf="0" * 64, description="Forged")
    assert response.status_code == 403
    assert REFUSED in response.text
    assert media_files(server) == before
    for path, data in [
        (f"/account/files/{file_id}/share", {"session_id": str(session.id)}),
        (f"/account/files/{file_id}/unshare", {"session_id": str(session.id)}),
        (f"/account/files/{file_id}/delete", {}),
    ]:
        response = browser.post(path, data=data)
        assert response.status_code == 403
        assert REFUSED in response.text
    assert file_id in live_files(server)
    assert shares(server, file_id) == []
    assert "Forged" not in browser.get("/account/files").text
