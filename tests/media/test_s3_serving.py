"""Two `onstream serve` processes sharing one database and one bucket: what one stores the
other serves, through the real pages, byte ranges included; deletes reach the bucket."""

from __future__ import annotations

import io
import os
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Response, expect, sync_playwright
from tests.support.api import ok, rest
from tests.support.browser import CHROMIUM
from tests.support.recordings import add_recording, get_recording, new_session, wav_bytes
from tests.support.s3 import S3Server
from tests.support.server import ServerProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.live
LOGIN, PASSWORD = "sharer", "sharer-password"
OTHER, OTHER_PASSWORD = "other", "other-password"


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory,
    s3: S3Server,
    new_database: Callable[[Path], str],
) -> Iterator[tuple[ServerProcess, ServerProcess, str]]:
    """Servers `one` and `two`, each in its own directory, on one database and one bucket."""
    bucket = s3.new_bucket()
    env = {**s3.env(f"s3://{bucket}/media"), "ONSTREAM_MAIL_WORKER": "0"}
    first = tmp_path_factory.mktemp("one")
    database_url = new_database(first)
    one = ServerProcess(workdir=first, database_url=database_url, extra_env=env)
    two_dir = tmp_path_factory.mktemp("two")
    two = ServerProcess(workdir=two_dir, database_url=database_url, extra_env=env)
    one.add_account(LOGIN, PASSWORD)
    one.add_account(OTHER, OTHER_PASSWORD)
    one.start()
    two.start()
    yield one, two, bucket
    one.stop()
    two.stop()


def test_upload_through_one_is_served_by_the_other(
    pair: tuple[ServerProcess, ServerProcess, str], s3: S3Server
) -> None:
    one, two, bucket = pair
    data = os.urandom(300_000)
    with one.api_client(LOGIN, PASSWORD) as client:
        created = client.put(
            "file/format/json",
            data={"is_url": "0", "file_description": "slides"},
            files={"file": ("slides.pdf", data, "application/pdf")},
        )
        file_id = ok(created, 201)["id"]
        link = ok(client.get(f"file/id/{file_id}/format/json"))["files"][0]["file_link"]
    path = httpx.URL(link).path
    key = path.split("/")[2]
    assert s3.objects(bucket) == {f"media/{key}": data}
    assert not (one.workdir / "media").exists(), "nothing on the local disk"

    whole = two.get(path)
    assert whole.status_code == 200
    assert whole.content == data
    assert whole.headers["content-type"] == "application/pdf"
    part = two.get(path, headers={"range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    assert part.content == data[1000:2000]

    with two.api_client(OTHER, OTHER_PASSWORD) as stranger:
        assert stranger.delete(f"file/id/{file_id}").status_code == 404
    assert s3.objects(bucket) == {f"media/{key}": data}

    with two.api_client(LOGIN, PASSWORD) as client:
        ok(client.delete(f"file/id/{file_id}/format/json"))
    wait_until(lambda: f"media/{key}" not in s3.objects(bucket), "the object is deleted")
    assert one.get(path).status_code == 404


def pattern_wav(frames: bytes) -> bytes:
    """A valid 8-bit mono WAV whose samples are `frames` (`recording add` checks the media
    with ffprobe, so it must be real audio)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(frames)
    return buffer.getvalue()


def test_recording_plays_with_ranges_from_the_other_server(
    pair: tuple[ServerProcess, ServerProcess, str], s3: S3Server, tmp_path: Path
) -> None:
    one, two, bucket = pair
    media = pattern_wav(bytes(range(256)) * 4096)  # 1 MiB of samples, offsets distinguishable
    source = tmp_path / "talk.wav"
    source.write_bytes(media)
    with one.api_client(LOGIN, PASSWORD) as client:
        session_id = new_session(client)
        recording_id = add_recording(one, client, session_id, media=source)
        ok(rest(client, "POST", "recording", {"id": recording_id, "allow_anonymous_playback": 1}))
        document = get_recording(client, recording_id)
    assert any(item == media for item in s3.objects(bucket).values())

    page = two.get(httpx.URL(document["recording_link"]).path)
    assert f'src="/play/{recording_id}/media"' in page.text
    played = two.get(f"/play/{recording_id}/media", headers={"range": "bytes=524288-"})
    assert played.status_code == 206
    assert played.headers["content-type"] == "audio/wav"
    assert played.headers["content-range"] == f"bytes 524288-{len(media) - 1}/{len(media)}"
    assert played.content == media[524288:]
    tail = one.get(f"/play/{recording_id}/media", headers={"range": "bytes=-10"})
    assert tail.content == media[-10:]

    with one.api_client(LOGIN, PASSWORD) as client:
        ok(client.delete(f"recording/id/{recording_id}/format/json"))
    wait_until(lambda: media not in s3.objects(bucket).values(), "the recording's media goes")
    assert two.get(f"/play/{recording_id}/media").status_code == 404


def test_serve_with_a_missing_bucket_says_so_in_one_line(
    pair: tuple[ServerProcess, ServerProcess, str], s3: S3Server
) -> None:
    one, _two, _bucket = pair
    broken = ServerProcess(
        workdir=one.workdir,
        database_url=one.database_url,
        extra_env=s3.env("s3://no-such-bucket/media"),
    )
    result = broken.cli("serve", "--port", str(broken.port))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"onstream: the bucket 'no-such-bucket' does not exist "
        f"(s3://no-such-bucket/media at {s3.endpoint})"
    ]


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def test_a_browser_plays_from_the_bucket_through_the_other_server(
    pair: tuple[ServerProcess, ServerProcess, str], tmp_path: Path
) -> None:
    one, two, _bucket = pair
    source = tmp_path / "tone.wav"
    source.write_bytes(wav_bytes(1.0))
    with one.api_client(LOGIN, PASSWORD) as client:
        recording_id = add_recording(one, client, new_session(client), media=source)
        ok(rest(client, "POST", "recording", {"id": recording_id, "allow_anonymous_playback": 1}))
        link = get_recording(client, recording_id)["recording_link"]
    answers: list[tuple[int, str | None]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()

            def on_response(response: Response) -> None:
                if response.url.endswith("/media"):
                    answers.append((response.status, response.request.headers.get("range")))

            page.on("response", on_response)
            page.goto(two.base_url + httpx.URL(link).path)
            expect(page.locator("audio#player")).to_be_visible()
            wait_until(
                lambda: page.evaluate("document.querySelector('#player').readyState") >= 1,
                "the player to load its media",
                10,
            )
            assert 0.9 < page.evaluate("document.querySelector('#player').duration") < 1.1
        finally:
            browser.close()
    assert any(status == 206 and header for status, header in answers), answers
