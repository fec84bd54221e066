"""The meeting recorder puts its composed recording in a bucket like in a directory."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from tests.support.s3 import S3Server
from tests.support.server import database_url_for
from tests.support.waiting import wait_until_async

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.config import Settings
from onstream.media.selection import store_for
from onstream.meetings import jobs
from onstream.meetings.compose import Layout
from onstream.meetings.recorder import RecordingWorker
from onstream.recordings import service as recordings
from onstream.recordings.models import Recording
from onstream.sessions import service as sessions
from onstream.sessions.models import SessionInput
from onstream.storage.database import Database, open_database, transaction
from onstream.storage.migrate import upgrade
from onstream.users import repository as users
from onstream.users.service import add_account

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "recording"
WAIT_SECONDS = 90.0


@pytest.mark.anyio
async def test_a_recorded_room_lands_in_the_bucket(
    s3: S3Server, bucket: str, tmp_path: Path
) -> None:
    url = database_url_for(tmp_path)
    await asyncio.to_thread(upgrade, url)
    settings = Settings(
        database_url=url,
        media_url=f"s3://{bucket}/rec",
        s3_endpoint_url=s3.endpoint,
        recording_poll_seconds=0.2,
    )
    store = store_for(settings)
    database = open_database(url)
    try:
        async with transaction(database, write=True) as conn:
            await add_account(conn, login="dora", email="d@example.com", password="dora-pass-1")
            owner = await users.account_by_login(conn, "dora")
            assert owner is not None
            session_id = await sessions.create(
                conn, owner, SessionInput(topic="T", duration=30, start_time="2030-01-15 10:00")
            )
        source = tmp_path / "recordings" / "room-1"
        shutil.copytree(FIXTURE, source)
        async with transaction(database, write=True) as conn:
            await jobs.enqueue(conn, session_id=session_id, source_dir=str(source), now=utcnow())
        worker = RecordingWorker(
            database=database,
            store=store,
            settings=settings,
            layout=Layout(tile_width=160, tile_height=90, fps=10),
        )
        running = asyncio.create_task(worker.run())
        worker.wake()

        async def composed() -> list[Recording]:
            found = await _recordings(database, owner)
            return found if found and found[0].media_key is not None else []

        recorded = await wait_until_async(composed, "a recording with its file", WAIT_SECONDS)
        worker.stop()
        await asyncio.wait_for(running, WAIT_SECONDS)
        [recording] = recorded
        assert recording.media_key is not None
        objects = await asyncio.to_thread(s3.objects, bucket)
        async with transaction(database, write=False) as conn:
            tracks = await recordings.tracks(conn, recording.id)
        assert len(tracks) == 4, "each track, remuxed, plays from the store too"
        keys = [recording.media_key, *(t.media_key for t in tracks)]
        assert sorted(objects) == sorted(f"rec/{key}" for key in keys)
        assert len(objects[f"rec/{recording.media_key}"]) == recording.media_size
        assert objects[f"rec/{recording.media_key}"][:4] == b"\x1a\x45\xdf\xa3"  # WebM/EBML
    finally:
        await database.dispose()


async def _recordings(database: Database, owner: Account) -> list[Recording]:
    async with transaction(database, write=False) as conn:
        return await recordings.page(
            conn, owner, session_id=None, count=10, offset=0, descending=False
        )
