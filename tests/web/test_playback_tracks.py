"""A recording made from a meeting plays from its tracks at once, and downloads as one file
once composed; its tracks are served only to visitors of that recording who passed its gate.

The server here runs without its own recording worker: each test runs the worker's steps
itself (`process_due`: first the tracks, then the composition), so what the pages and the
API answer between the two is observed, not raced."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from onstream.clock import utcnow
from onstream.config import Settings
from onstream.media.store import LocalMediaStore
from onstream.meetings import jobs
from onstream.meetings.compose import Layout
from onstream.meetings.recorder import RecordingWorker
from onstream.storage.database import open_database, transaction
from tests.support.api import ok, rest
from tests.support.recordings import media_files, new_session
from tests.support.server import ServerProcess, database_url_for
from tests.support.waiting import wait_until

pytestmark = pytest.mark.live  # Chromium talks to a real socket

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "recording"
SMALL = Layout(tile_width=160, tile_height=90, fps=10)
OWNER = ("tracy", "tracy-password-1")
OTHER = ("otto", "otto-password-1")
_CLIP = re.compile(r'<(video|audio) class="clip" data-clip="(\d+)" src="([^"]+)"')


@pytest.fixture(scope="module")
def quiet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose recordings are made by the tests, step by step."""
    workdir = tmp_path_factory.mktemp("tracks")
    server = ServerProcess(
        workdir=workdir,
        database_url=database_url_for(workdir),
        extra_env={"ONSTREAM_RECORDING_WORKER": "0"},
    )
    for login, password in (OWNER, OTHER):
        server.add_account(login, password)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def owner(quiet_server: ServerProcess) -> Iterator[httpx.Client]:
    with quiet_server.api_client(*OWNER) as client:
        yield client


@pytest.fixture
def other(quiet_server: ServerProcess) -> Iterator[httpx.Client]:
    with quiet_server.api_client(*OTHER) as client:
        yield client


def worker_step(
    server: ServerProcess, source: Path | None = None, session_id: int = 0, *, composing: bool
) -> None:
    """Queue the room in `source` (when given), then run the recording worker's first step
    (the tracks) or its second (the composition) on the oldest job due for it."""

    async def go() -> None:
        database = open_database(server.database_url)
        try:
            if source is not None:
                async with transaction(database, write=True) as conn:
                    await jobs.enqueue(
                        conn, session_id=session_id, source_dir=str(source), now=utcnow()
                    )
            settings = Settings(
                database_url=server.database_url,
                media_dir=str(server.workdir / "media"),
                recording_lease_seconds=300,
            )
            store = LocalMediaStore(server.workdir / "media")
            worker = RecordingWorker(
                database=database, store=store, settings=settings, layout=SMALL
            )
            async with transaction(database, write=True) as conn:
                (job,) = await jobs.claim(
                    conn,
                    now=utcnow(),
                    lease=timedelta(minutes=5),
                    policy=jobs.RetryPolicy.from_settings(settings),
                    composing=composing,
                )
            await worker.process(job)
        finally:
            await database.dispose()

    with ThreadPoolExecutor(1) as thread:  # Playwright's loop may run in this thread
        thread.submit(asyncio.run, go()).result()


def recorded(server: ServerProcess, client: httpx.Client, tmp_path: Path) -> dict[str, Any]:
    """A meeting of the client's recorded by Janus (the fixture's two people), made playable:
    its recording as GET recordings lists it."""
    session_id = new_session(client, topic="Design review")
    source = tmp_path / f"room-{session_id}"
    shutil.copytree(FIXTURE, source)
    worker_step(server, source, session_id, composing=False)
    found = ok(client.get(f"recordings/session/{session_id}/format/json"))["recordings"]
    assert len(found) == 1, "listed as soon as it plays"
    return dict(found[0])


@contextmanager
def visitor(server: ServerProcess, recording: dict[str, Any]) -> Iterator[httpx.Client]:
    """A browser-like client that passed the recording's gate (a screen name)."""
    with httpx.Client(base_url=server.base_url) as client:
        path = httpx.URL(recording["recording_link"]).path
        answer = client.post(path, data={"name": "Viewer"})
        assert answer.status_code == 303
        yield client


def clips(html: str) -> list[tuple[str, int, str]]:
    return [(kind, int(clip), src) for kind, clip, src in _CLIP.findall(html)]


def test_a_meeting_plays_from_its_tracks_then_downloads_as_one_file(
    quiet_server: ServerProcess, owner: httpx.Client, tmp_path: Path
) -> None:
    recording = recorded(quiet_server, owner, tmp_path)
    assert 9_000 <= recording["duration"] <= 12_000
    with visitor(quiet_server, recording) as web:
        page = web.get(httpx.URL(recording["recording_link"]).path)
        assert page.status_code == 200
        found = clips(page.text)
        assert sorted(kind for kind, _, _ in found) == ["audio", "audio", "video", "video"]
        assert "being prepared" in page.text
        media = web.get(f"/play/{recording['id']}/media")
        assert media.status_code == 409
        assert "being prepared" in media.text
        for kind, _, src in found:
            part = web.get(src, headers={"range": "bytes=0-99"})
            assert part.status_code == 206
            assert len(part.content) == 100
            assert part.headers["content-type"] == (
                "video/webm" if kind == "video" else "audio/ogg"
            )

        worker_step(quiet_server, composing=True)  # this module's only composition

        page = web.get(httpx.URL(recording["recording_link"]).path)
        assert "Download the recording" in page.text
        assert clips(page.text) == found, "the page still plays the tracks"
        media = web.get(f"/play/{recording['id']}/media")
        assert media.status_code == 200
        assert media.headers["content-type"] == "video/webm"
        composed = tmp_path / "composed.webm"
        composed.write_bytes(media.content)
        assert streams(composed) == {"audio", "video"}


def streams(path: Path) -> set[str]:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", path],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(probe.stdout.split())


def test_tracks_are_served_only_to_visitors_of_their_own_recording(
    quiet_server: ServerProcess, owner: httpx.Client, other: httpx.Client, tmp_path: Path
) -> None:
    mine = recorded(quiet_server, owner, tmp_path)
    theirs = recorded(quiet_server, other, tmp_path)
    with visitor(quiet_server, mine) as web, visitor(quiet_server, theirs) as their_web:
        (_, my_track, my_src), *_ = clips(web.get(httpx.URL(mine["recording_link"]).path).text)
        (_, their_track, their_src), *_ = clips(
            their_web.get(httpx.URL(theirs["recording_link"]).path).text
        )
        # Another recording's track through this recording's address: no such track.
        assert web.get(f"/play/{mine['id']}/tracks/{their_track}").status_code == 404
        # Their recording's own address, with only my recording's pass: its gate first.
        assert web.get(their_src).status_code == 403
        assert web.get(f"/play/{theirs['id']}/media").status_code == 403
        with httpx.Client(base_url=quiet_server.base_url) as stranger:
            assert stranger.get(my_src).status_code == 403
        assert web.get(my_src).status_code == 200
        # The API: another account's recording is not there for them (its tracks neither).
        assert other.get(f"recording/id/{mine['id']}/format/json").status_code == 404
        # Deleting the recording takes its tracks along.
        ok(rest(owner, "DELETE", "recording", {"id": mine["id"]}))
        assert web.get(my_src).status_code == 404
        assert their_web.get(their_src).status_code == 200
        assert my_track != their_track


def play_and_see_every_track_in_sync(page: Page, recording: dict[str, Any], shot: Path) -> None:
    """Pass the recording's gate, press Play, and see both people's videos play, every
    playing clip at the same point of the meeting."""
    page.goto(recording["recording_link"])
    page.get_by_label("Screen name").fill("Viewer")
    page.get_by_role("button", name="Watch").click()
    page.get_by_role("button", name="Play").click()
    wait_until(
        lambda: (
            page.evaluate(
                "[...document.querySelectorAll('video.clip')].filter((v) => !v.hidden)"
                ".every((v) => v.currentTime > 2 && v.videoWidth > 0"
                " && v.getVideoPlaybackQuality().totalVideoFrames > 10)"
            )
            and page.evaluate("document.querySelectorAll('video.clip:not([hidden])').length") == 2
        ),
        "both people's videos to play and show frames",
        60,
    )
    page.screenshot(path=str(shot))
    # One clock: every playing clip is at the same point of the meeting (its offset plus
    # its own position), within what the player lets drift.
    positions = page.evaluate(
        """() => {
          const t = JSON.parse(document.getElementById('timeline').textContent);
          const starts = Object.fromEntries(t.clips.map((c) => [c.id, c.start]));
          return [...document.querySelectorAll('.clip')].filter((c) => !c.paused)
            .map((c) => c.currentTime + starts[c.dataset.clip]);
        }"""
    )
    assert len(positions) >= 3, positions
    assert max(positions) - min(positions) < 1.0, positions


def test_a_browser_plays_every_track_in_sync(
    quiet_server: ServerProcess, owner: httpx.Client, tmp_path: Path, page: Page
) -> None:
    recording = recorded(quiet_server, owner, tmp_path)
    play_and_see_every_track_in_sync(page, recording, tmp_path / "recording-tracks.png")


# A browser that fetches a paused clip's data but decodes none of it until the page asks for
# a frame (by a seek or by playing): ready state "metadata" and nothing more being fetched.
# Chromium leaves a hidden video so on a busy machine; here every clip is so, always.
UNPREPARED_UNTIL_ASKED = """
(() => {
  const proto = HTMLMediaElement.prototype;
  const asked = new WeakSet();
  const readyState = Object.getOwnPropertyDescriptor(proto, "readyState").get;
  const position = Object.getOwnPropertyDescriptor(proto, "currentTime");
  const play = proto.play;
  proto.play = function () { asked.add(this); return play.call(this); };
  Object.defineProperty(proto, "currentTime", {
    configurable: true,
    get: position.get,
    set(value) { asked.add(this); position.set.call(this, value); },
  });
  Object.defineProperty(proto, "readyState", {
    configurable: true,
    get() {
      const real = readyState.call(this);
      return asked.has(this) ? real : Math.min(real, HTMLMediaElement.HAVE_METADATA);
    },
  });
})();
"""


def test_a_browser_that_prepares_a_clip_only_when_asked_still_plays_every_track(
    quiet_server: ServerProcess, owner: httpx.Client, tmp_path: Path, page: Page
) -> None:
    recording = recorded(quiet_server, owner, tmp_path)
    page.add_init_script(UNPREPARED_UNTIL_ASKED)
    play_and_see_every_track_in_sync(page, recording, tmp_path / "recording-tracks.png")


def test_deleting_the_account_takes_its_recordings_tracks_along(
    quiet_server: ServerProcess, tmp_path: Path
) -> None:
    quiet_server.add_account("dora", "dora-password-1")
    with quiet_server.api_client("dora", "dora-password-1") as dora:
        before = media_files(quiet_server)
        recording = recorded(quiet_server, dora, tmp_path)
        with visitor(quiet_server, recording) as web:
            (_, _, src), *_ = clips(web.get(httpx.URL(recording["recording_link"]).path).text)
            assert web.get(src).status_code == 200
            assert len(media_files(quiet_server) - before) == 4
            deleted = quiet_server.cli("user", "delete", "dora", "--yes")
            assert deleted.returncode == 0, deleted.stderr
            assert "and 4 media files" in deleted.stdout
            assert web.get(src).status_code == 404
        assert media_files(quiet_server) - before == set()
