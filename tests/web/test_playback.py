"""The playback page behind `recording_link`: the gate, the player, byte ranges (CONTRACT §8)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Response, expect, sync_playwright

from tests.conftest import MakeAccount, new_account
from tests.support.api import ok, rest
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.recordings import add_recording, get_recording, new_session, wav_bytes
from tests.support.server import Server, ServerProcess
from tests.support.waiting import wait_until

DATA = wav_bytes(490 / 8000)  # 1024 bytes: a real WAV (44-byte header, 490 frames)
assert len(DATA) == 1024


@pytest.fixture(scope="module")
def owner(make_account: MakeAccount) -> httpx.Client:
    return make_account()


@pytest.fixture
def web(server: Server) -> Iterator[httpx.Client]:
    """A visitor's browser: no credentials, its own cookie jar, redirects not followed."""
    with server.client() as client:
        yield client


def recording(
    server: Server,
    owner: httpx.Client,
    tmp_path: Path,
    *,
    password: str | None = None,
    anonymous: bool = False,
    media: bytes | None = DATA,
    suffix: str = ".mp4",
    title: str = "Quarterly review",
) -> dict[str, Any]:
    """A recording with these gate settings; returns its document."""
    session_id = new_session(owner, **({"password": password} if password else {}))
    path = None
    if media is not None:
        path = tmp_path / f"media{suffix}"
        path.write_bytes(media)
    recording_id = add_recording(server, owner, session_id, title=title, media=path)
    if anonymous:
        body = {"id": recording_id, "allow_anonymous_playback": 1}
        ok(rest(owner, "POST", "recording", body))
    return get_recording(owner, recording_id)


def path_of(document: dict[str, Any]) -> str:
    return str(httpx.URL(document["recording_link"]).path)


def media_of(document: dict[str, Any]) -> str:
    return f"/play/{document['id']}/media"


def enter(web: httpx.Client, document: dict[str, Any], **form: str) -> httpx.Response:
    return web.post(path_of(document), data=form)


# --- the page -------------------------------------------------------------------------------


def test_open_recording_shows_the_player_at_once(
    server: Server, owner: httpx.Client, tmp_path: Path, web: httpx.Client
) -> None:
    document = recording(server, owner, tmp_path, anonymous=True)
    page = web.get(path_of(document))
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert f'<video id="player" src="/play/{document["id"]}/media"' in page.text
    assert "<form" not in page.text
    assert "media-src 'self'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]


def test_audio_gets_an_audio_element(
    server: Server, owner: httpx.Client, tmp_path: Path, web: httpx.Client
) -> None:
    document = recording(
        server, owner, tmp_path, anonymous=True, media=wav_bytes(0.1), suffix=".wav"
    )
    assert '<audio id="player"' in web.get(path_of(document)).text
    assert web.get(media_of(document)).headers["content-type"] == "audio/wav"


def test_a_wrong_or_missing_slug_redirects_to_the_canonical_link(
    server: Server, owner: httpx.Client, tmp_path: Path, web: httpx.Client
) -> None:
    document = recording(server, owner, tmp_path, anonymous=True, title="Tom & Jerry: Ep. 1")
    canonical = f"/play/{document['id']}-Tom-Jerry-Ep-1"
    assert path_of(document) == canonical
    for wrong in (f"/play/{document['id']}", f"/play/{document['id']}-old-title"):
        response = web.get(wrong)
        assert response.status_code == 301
        assert response.headers["location"] == canonical
    ok(rest(owner, "POST", "recording", {"id": document["id"], "title": "Renamed"}))
    response = web.get(canonical)
    assert (response.status_code, response.headers["location"]) == (
        301,
        f"/play/{document['id']}-Renamed",
    )


@pytest.mark.parametrize("path", ["/play/999999-x", "/play/abc", "/play/0-x", "/play/99999999999"])
def test_unknown_recordings_get_the_404_page(web: httpx.Client, path: str) -> None:
    response = web.get(path)
    assert response.status_code == 404
    assert "This link leads to no recording" in response.text


def test_a_recording_without_media_says_so(
    server: Server, owner: httpx.Client, tmp_path: Path, web: httpx.Client
) -> None:
    document = recording(server, owner, tmp_path, anonymous=True, media=None)
    page = web.get(path_of(document))
    assert page.status_code == 200
    assert "This recording has no media yet" in page.text
    assert "<video" not in page.text
    assert web.get(media_of(document)).status_code == 404


def test_title_and_description_are_escaped(
    server: Server, owner: httpx.Client, tmp_path: Path, web: httpx.Client
) -> None:
    document = recording(server, owner, tmp_path, anonymous=True, title="<script>alert(1)</script>")
    ok(rest(owner, "POST", "recording", {"id": document["id"], "description": "<img src=x>"}))
    page = web.get(path_of(get_recording(owner, document["id"]))).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x&gt;" in page
    assert "<script" not in page


# --- byte ranges ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def open_media(
    server: Server, owner: httpx.Client, tmp_path_factory: pytest.TempPathFactory
) -> str:
    document = recording(server, owner, tmp_path_factory.mktemp("media"), anonymous=True)
    return media_of(document)


def test_whole_media_with_accept_ranges(web: httpx.Client, open_media: str) -> None:
    response = web.get(open_media)
    assert response.status_code == 200
    assert response.content == DATA
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == "1024"
    assert response.headers["content-type"] == "video/mp4"
    assert "content-range" not in response.headers


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 100),
        ("bytes=100-", 100, 1024),
        ("bytes=-50", 974, 1024),
        ("bytes=1000-5000", 1000, 1024),
        ("bytes=1023-1023", 1023, 1024),
        ("bytes=-5000", 0, 1024),
    ],
)
def test_ranges_answer_206(
    web: httpx.Client, open_media: str, header: str, start: int, end: int
) -> None:
    response = web.get(open_media, headers={"range": header})
    assert response.status_code == 206
    assert response.content == DATA[start:end]
    assert response.headers["content-range"] == f"bytes {start}-{end - 1}/1024"
    assert response.headers["content-length"] == str(end - start)
    assert response.headers["content-type"] == "video/mp4"


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_ranges_are_416(web: httpx.Client, open_media: str, header: str) -> None:
    response = web.get(open_media, headers={"range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */1024"
    assert response.content == b""


@pytest.mark.parametrize("header", ["items=0-5", "bytes=9-3", "bytes=0-1,5-6", "bytes=x-"])
def test_ranges_we_do_not_serve_get_the_whole_media(
    web: httpx.Client, open_media: str, header: str
) -> None:
    response = web.get(open_media, headers={"range": header})
    assert (response.status_code, response.content) == (200, DATA)


def test_if_range_and_head(web: httpx.Client, open_media: str) -> None:
    etag = web.get(open_media).headers["etag"]
    fresh = web.get(open_media, headers={"range": "bytes=0-9", "if-range": etag})
    assert (fresh.status_code, fresh.content) == (206, DATA[:10])
    stale = web.get(open_media, headers={"range": "bytes=0-9", "if-range": '"other"'})
    assert (stale.status_code, stale.content) == (200, DATA)
    head = web.head(open_media, headers={"range": "bytes=10-19"})
    assert (head.status_code, head.content) == (206, b"")
    assert head.headers["content-length"] == "10"
    assert head.headers["content-range"] == "bytes 10-19/1024"


# --- the gate -------------------------------------------------------------------------------


def test_password_gate(
    server: Server, owner: httpx.Client, tmp_path: Path, web: httpx.Client
) -> None:
    document = recording(server, owner, tmp_path, password="s3cret")
    page = web.get(path_of(document))
    assert page.status_code == 200
    assert 'name="password"' in page.text
    assert 'name="name"' in page.text
    assert "<video" not in page.text
    for attempt in (
        web.get(media_of(document)),
        web.get(media_of(document), headers={"range": "bytes=0-"}),
    ):
        assert attempt.status_code == 403
        assert DATA[:16] not in attempt.content
    wrong = enter(web, document, name="Ann", password="guess")
    assert wrong.status_code == 403
    assert "That password is not right" in wrong.text
    assert 'name="password"' in wrong.text
    assert "set-cookie" not in wrong.headers
    assert web.get(media_of(document)).status_code == 403
    right = enter(web, document, name="Ann", password="s3cret")
    assert right.status_code == 303
    assert right.headers["location"] == path_of(document)
    cookie = right.headers["set-cookie"]
    assert cookie.startswith(f"onstream_play_{document['id']}=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/play/" in cookie
    page = web.get(path_of(document))
    assert f'src="/play/{document["id"]}/media"' in page.text
    assert "Watching as <strong>Ann</strong>" in page.text
    assert web.get(media_of(document)).content == DATA


def test_password_is_asked_even_when_anonymous_playback_is_on(
    server: Server, owner: httpx.Client, tmp_path: Path, web: httpx.Client
) -> None:
    document = recording(server, owner, tmp_path, password="s3cret", anonymous=True)
    page = web.get(path_of(document)).text
    assert 'name="password"' in page
    assert 'name="name"' not in page
    assert web.get(media_of(document)).status_code == 403
    assert enter(web, document, password="").status_code == 403
    assert enter(web, document, password="s3cret").status_code == 303
    assert web.get(media_of(document)).content == DATA


def test_forged_and_foreign_passes_are_refused(
    server: Server, owner: httpx.Client, tmp_path: Path, web: httpx.Client
) -> None:
    first = recording(server, owner, tmp_path, password="same")
    second = recording(server, owner, tmp_path, password="same")
    enter(web, first, name="Ann", password="same")
    value = web.cookies[f"onstream_play_{first['id']}"]
    expires, name, signature = value.split(".")
    attempts = {
        f"onstream_play_{second['id']}": value,  # a pass for another recording
        f"onstream_play_{first['id']}": f"{int(expires) + 999999}.{name}.{signature}",
    }
    for cookie_name, forged in attempts.items():
        with server.client(cookies={cookie_name: forged}) as other:
            target = second if str(second["id"]) in cookie_name else first
            assert other.get(media_of(target)).status_code == 403
            assert "<video" not in other.get(path_of(target)).text
    assert web.get(media_of(first)).status_code == 200


def test_changing_the_password_withdraws_passes(
    server: Server, owner: httpx.Client, tmp_path: Path, web: httpx.Client
) -> None:
    document = recording(server, owner, tmp_path, password="old")
    enter(web, document, name="Ann", password="old")
    assert web.get(media_of(document)).status_code == 200
    ok(rest(owner, "POST", "recording", {"id": document["id"], "password": "new"}))
    assert web.get(media_of(document)).status_code == 403


def test_screen_name_is_asked_unless_anonymous_playback(
    server: Server, owner: httpx.Client, tmp_path: Path, web: httpx.Client
) -> None:
    document = recording(server, owner, tmp_path)
    page = web.get(path_of(document)).text
    assert 'name="name"' in page
    assert 'name="password"' not in page
    assert "<video" not in page
    assert web.get(media_of(document)).status_code == 403
    empty = enter(web, document, name="  ")
    assert empty.status_code == 400
    assert "Please enter a screen name" in empty.text
    assert enter(web, document, name="x" * 101).status_code == 400
    assert enter(web, document, name="<b>Bo</b>").status_code == 303
    page = web.get(path_of(document)).text
    assert "Watching as <strong>&lt;b&gt;Bo&lt;/b&gt;</strong>" in page
    assert web.get(media_of(document)).content == DATA
    ok(rest(owner, "POST", "recording", {"id": document["id"], "allow_anonymous_playback": 1}))
    with server.client() as stranger:
        assert "<video" in stranger.get(path_of(document)).text
        assert stranger.get(media_of(document)).content == DATA


def test_a_too_large_form_is_refused(
    server: Server, owner: httpx.Client, tmp_path: Path, web: httpx.Client
) -> None:
    document = recording(server, owner, tmp_path, password="s3cret")
    response = web.post(path_of(document), content=b"password=s3cret&name=" + b"a" * 20000)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_the_link_in_the_api_leads_to_the_page(
    server: Server, owner: httpx.Client, tmp_path: Path
) -> None:
    document = recording(server, owner, tmp_path, title="My first recording")
    assert re.fullmatch(
        rf"{server.base_url}/play/\d+-My-first-recording", document["recording_link"]
    )
    response = server.get(document["recording_link"])
    assert response.status_code == 200
    assert "<h1>My first recording</h1>" in response.text


# --- in a real browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_owner(live_server: ServerProcess) -> Iterator[httpx.Client]:
    """An account on a real `onstream serve`: Chromium needs a socket to talk to."""
    with new_account(live_server) as client:
        yield client


def test_a_browser_enters_password_and_name_and_plays(
    live_server: ServerProcess, live_owner: httpx.Client, tmp_path: Path
) -> None:
    document = recording(
        live_server,
        live_owner,
        tmp_path,
        password="open sesame",
        media=wav_bytes(1.0),
        suffix=".wav",
    )
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            media_answers: list[tuple[int, str | None]] = []

            def on_response(response: Response) -> None:
                if response.url.endswith("/media"):
                    media_answers.append((response.status, response.request.headers.get("range")))

            page.on("response", on_response)
            page.goto(document["recording_link"])
            expect(page.get_by_role("heading", level=1)).to_have_text("Quarterly review")
            expect(page.locator("audio, video")).to_have_count(0)
            page.get_by_label("Screen name").fill("Grace Hopper")
            page.get_by_label("Password").fill("wrong")
            page.get_by_role("button", name="Watch").click()
            expect(page.get_by_role("alert")).to_contain_text("That password is not right")
            expect(page.get_by_label("Screen name")).to_have_value("Grace Hopper")
            page.get_by_label("Password").fill("open sesame")
            page.get_by_role("button", name="Watch").click()
            player = page.locator("audio#player")
            expect(player).to_be_visible()
            expect(page.locator(".viewer")).to_have_text("Watching as Grace Hopper")
            # Polled with evaluate: wait_for_function compiles its predicate in the page,
            # which the page's strict Content-Security-Policy (no eval) forbids.
            wait_until(
                lambda: page.evaluate("document.querySelector('#player').readyState") >= 1,
                "the player to load its media",
                10,
            )
            duration = page.evaluate("document.querySelector('#player').duration")
            assert 0.9 < duration < 1.1
            assert page.evaluate("document.querySelector('#player').currentSrc").endswith(
                f"/play/{document['id']}/media"
            )
            assert page.url == document["recording_link"]
            # The player fetched the media with range requests, which is what lets it seek.
            assert any(status == 206 and header for status, header in media_answers)
        finally:
            browser.close()
