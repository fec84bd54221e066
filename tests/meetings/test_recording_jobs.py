"""Recording jobs end to end: a recorded room becomes exactly one recording of the session's
owner, through restarts, killed workers and bad files, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.server import ServerProcess
from tests.support.waiting import wait_until_async

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.config import Settings
from onstream.media.store import LocalMediaStore
from onstream.meetings import jobs, recorder
from onstream.meetings.compose import Composition, Layout, compose
from onstream.meetings.recorder import RecordingWorker
from onstream.recordings import service as recordings
from onstream.recordings.models import Recording, Track
from onstream.sessions import service as sessions
from onstream.sessions.models import SessionInput
from onstream.storage.database import Database, open_database, transaction
from onstream.users import repository as users
from onstream.users.service import add_account

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "recording"
MEETING_MS = 10_100
"""The fixture's length from its headers (see test_compose.meeting_seconds)."""
COMPOSING_SECONDS = 90.0
"""Generous: the composition's ffmpeg runs at the lowest priority, and on a loaded machine
it took over 30 s."""
SMALL = Layout(tile_width=160, tile_height=90, fps=10)
"""Small tiles: the jobs' logic is under test here, not the picture (test_compose checks it)."""
WAIT_SECONDS = 90.0
TOPIC = "Quarterly review"


@dataclass
class Clock:
    """A clock the test moves by hand, as a worker's `clock`."""

    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class World:
    """A migrated database with one account, one session and its recorded room."""

    url: str
    database: Database
    store: LocalMediaStore
    settings: Settings
    owner: Account
    session_id: int
    recordings_root: Path

    def worker(self, clock: Clock | None = None, **settings: float) -> RecordingWorker:
        return RecordingWorker(
            database=self.database,
            store=self.store,
            settings=replace(self.settings, **settings),
            clock=clock or utcnow,
            layout=SMALL,
        )

    async def enqueue(self, source: Path, *, now: datetime | None = None) -> int:
        async with transaction(self.database, write=True) as conn:
            await jobs.enqueue(
                conn, session_id=self.session_id, source_dir=str(source), now=now or utcnow()
            )
        return (await self.job_of(source)).id

    async def job_of(self, source: Path) -> jobs.Job:
        async with transaction(self.database, write=False) as conn:
            found = [j for j in await jobs.list_jobs(conn) if j.source_dir == str(source)]
        assert len(found) == 1
        return found[0]

    async def recordings(self) -> list[Recording]:
        async with transaction(self.database, write=False) as conn:
            return await recordings.page(
                conn, self.owner, session_id=None, count=100, offset=0, descending=False
            )

    async def tracks(self, recording_id: int) -> list[Track]:
        async with transaction(self.database, write=False) as conn:
            return await recordings.tracks(conn, recording_id)

    def blobs(self) -> list[Path]:
        return [p for p in self.store.directory.rglob("*") if p.is_file()]


@pytest.fixture
async def world(tmp_path: Path, migrated_url: str) -> AsyncIterator[World]:
    database = open_database(migrated_url)
    async with transaction(database, write=True) as conn:
        await add_account(
            conn, login="carol", email="carol@example.com", password="carol-password-1"
        )
        owner = await users.account_by_login(conn, "carol")
        assert owner is not None
        session_id = await sessions.create(
            conn,
            owner,
            SessionInput(topic=TOPIC, duration=30, start_time="2030-01-15 10:00:00"),
        )
    settings = Settings(
        database_url=migrated_url,
        media_dir=str(tmp_path / "media"),
        recording_poll_seconds=0.2,
        recording_lease_seconds=300,
    )
    yield World(
        url=migrated_url,
        database=database,
        store=LocalMediaStore(tmp_path / "media"),
        settings=settings,
        owner=owner,
        session_id=session_id,
        recordings_root=tmp_path / "recordings",
    )
    await database.dispose()


def recorded_room(root: Path, name: str = "room-1") -> Path:
    """A copy of the fixture recording, as Janus leaves it in the room's directory."""
    shutil.copytree(FIXTURE, root / name)
    return root / name


@pytest.mark.anyio
async def test_a_recorded_room_becomes_one_recording_of_the_owner(world: World) -> None:
    source = recorded_room(world.recordings_root)
    job_id = await world.enqueue(source)
    worker = world.worker()
    running = asyncio.create_task(worker.run())
    worker.wake()

    async def done() -> bool:
        return (await world.job_of(source)).status != jobs.PENDING

    await wait_until_async(done, "the job to finish", COMPOSING_SECONDS)
    worker.stop()
    await asyncio.wait_for(running, WAIT_SECONDS)

    job = await world.job_of(source)
    assert (job.id, job.status, job.last_error) == (job_id, jobs.DONE, None)
    [recording] = await world.recordings()
    assert job.recording_id == recording.id
    assert recording.session_id == world.session_id
    assert recording.title == f"Recording of {TOPIC}"
    assert abs(recording.duration_ms - MEETING_MS) < 2000
    assert recording.media_type == "video/webm"
    assert recording.media_key is not None
    assert await world.store.size(recording.media_key) == recording.media_size
    tracks = await world.tracks(recording.id)
    assert sorted(t.kind for t in tracks) == ["audio", "audio", "video", "video"]
    keys = [recording.media_key, *(t.media_key for t in tracks)]
    assert sorted(world.blobs()) == sorted(world.store.path(key) for key in keys)
    assert not source.exists(), "the .mjr files go once the recording is composed"
    assert list(world.recordings_root.iterdir()) == [], "no work directory is left"


@pytest.mark.anyio
async def test_a_recording_plays_from_its_tracks_before_its_file_is_composed(
    world: World,
) -> None:
    source = recorded_room(world.recordings_root)
    await world.enqueue(source)
    worker = world.worker()

    assert await worker.process_due() == 1  # the first step: remux, no encode
    job = await world.job_of(source)
    [recording] = await world.recordings()
    assert (job.status, job.recording_id, job.attempts) == (jobs.PENDING, recording.id, 0)
    assert recording.media_key is None, "no file yet"
    tracks = await world.tracks(recording.id)
    assert sorted((t.kind, t.media_type) for t in tracks) == [
        ("audio", "audio/ogg"),
        ("audio", "audio/ogg"),
        ("video", "video/webm"),
        ("video", "video/webm"),
    ]
    assert min(t.offset_ms for t in tracks) == 0
    assert max(t.offset_ms + t.duration_ms for t in tracks) == recording.duration_ms
    assert len({t.participant for t in tracks}) == 2
    assert source.exists(), "kept for the composition"

    assert await worker.process_due() == 1  # the second step: the one file
    job = await world.job_of(source)
    [composed] = await world.recordings()
    assert (job.status, job.attempts, composed.id) == (jobs.DONE, 1, recording.id)
    assert composed.media_key is not None
    assert [t.id for t in await world.tracks(recording.id)] == [t.id for t in tracks]


@pytest.mark.anyio
async def test_a_dead_track_is_left_out_named_in_the_job_and_the_rest_recorded(
    world: World,
) -> None:
    source = recorded_room(world.recordings_root)
    dead = source / "videoroom-1-user-99-1796175379280282-video-1.mjr"
    dead.write_bytes(b"MJR00002")
    await world.enqueue(source)
    worker = world.worker()
    running = asyncio.create_task(worker.run())
    worker.wake()

    async def done() -> bool:
        return (await world.job_of(source)).status != jobs.PENDING

    await wait_until_async(done, "the job to finish", COMPOSING_SECONDS)
    worker.stop()
    await asyncio.wait_for(running, WAIT_SECONDS)

    job = await world.job_of(source)
    assert (job.status, job.attempts, job.last_error) == (jobs.DONE, 1, None)
    assert job.skipped is not None
    assert dead.name in job.skipped
    [recording] = await world.recordings()
    assert abs(recording.duration_ms - MEETING_MS) < 2000


@pytest.mark.anyio
async def test_queueing_the_same_room_twice_makes_one_job(world: World) -> None:
    source = recorded_room(world.recordings_root)
    first = await world.enqueue(source)
    assert await world.enqueue(source) == first


@pytest.mark.anyio
async def test_a_killed_worker_is_replaced_and_still_one_recording_is_made(world: World) -> None:
    source = recorded_room(world.recordings_root)
    clock = Clock()
    await world.enqueue(source, now=clock.now)
    lease = timedelta(seconds=world.settings.recording_lease_seconds)
    policy = jobs.RetryPolicy.from_settings(world.settings)
    async with transaction(world.database, write=True) as conn:  # worker A claims, then dies
        [stale] = await jobs.claim(conn, now=clock.now, lease=lease, policy=policy)
    # its half-done work directory stays behind, as a SIGKILL leaves it
    dead_work = world.recordings_root / f".compose-{stale.id}-{stale.attempt}"
    dead_work.mkdir()

    worker_b = world.worker(clock)
    clock.advance(lease.total_seconds() / 2)
    assert await worker_b.process_due() == 0, "A's lease still holds"
    for _ in range(20):
        clock.advance(world.settings.recording_lease_seconds)
        await worker_b.process_due()
        if (await world.job_of(source)).status != jobs.PENDING:
            break

    job = await world.job_of(source)
    assert job.status == jobs.DONE
    [recording] = await world.recordings()
    assert job.recording_id == recording.id
    assert abs(recording.duration_ms - MEETING_MS) < 2000
    assert not dead_work.exists()
    blobs = sorted(world.blobs())
    assert len(blobs) == 1 + len(await world.tracks(recording.id))

    # worker A was only stalled: it comes back with its old claim, and changes nothing
    await world.worker(Clock(stale.created_at)).process(stale)
    assert [r.id for r in await world.recordings()] == [recording.id]
    assert sorted(world.blobs()) == blobs
    assert (await world.job_of(source)).status == jobs.DONE


@pytest.mark.anyio
async def test_a_recording_of_only_unreadable_tracks_fails_once_for_the_operator(
    world: World, tmp_path: Path
) -> None:
    source = world.recordings_root / "room-bad"
    source.mkdir(parents=True)
    (source / "videoroom-1-user-2-3-audio-0.mjr").write_bytes(os.urandom(5000))
    clock = Clock()
    await world.enqueue(source, now=clock.now)
    worker = world.worker(
        clock, recording_retry_seconds=10, recording_retry_max_seconds=10,
        recording_give_up_seconds=60,
    )  # fmt: skip
    for _ in range(30):
        await worker.process_due()
        if (await world.job_of(source)).status != jobs.PENDING:
            break
        clock.advance(11)

    job = await world.job_of(source)
    assert job.status == jobs.FAILED
    assert job.attempts == 1, "what can never be composed is not tried again"
    assert job.recording_id is None
    assert job.last_error is not None
    assert "videoroom-1-user-2-3-audio-0.mjr: it is empty or not a readable" in job.last_error
    assert await world.recordings() == []
    assert source.exists(), "the tracks stay for the operator"

    operator = ServerProcess(workdir=tmp_path, database_url=world.url)
    shown = operator.cli("recording", "jobs", "--status", "failed")
    assert shown.returncode == 0, shown.stderr
    assert f"#{job.id} failed  session {world.session_id}  attempts {job.attempts}" in shown.stdout
    assert "left out: videoroom-1-user-2-3-audio-0.mjr: it is empty or not a" in shown.stdout

    retried = operator.cli("recording", "retry-job", str(job.id))
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.startswith(f"#{job.id} pending")
    assert (await world.job_of(source)).status == jobs.PENDING


@pytest.mark.anyio
async def test_a_room_without_media_fails_at_once(world: World) -> None:
    source = world.recordings_root / "room-empty"
    source.mkdir(parents=True)
    await world.enqueue(source)
    assert await world.worker().process_due() == 1
    job = await world.job_of(source)
    assert (job.status, job.attempts) == (jobs.FAILED, 1)
    assert job.last_error == "no audio or video was recorded"


@pytest.mark.anyio
async def test_a_room_janus_is_still_writing_waits_without_counting_a_failure(
    world: World,
) -> None:
    source = recorded_room(world.recordings_root)
    track = sorted(source.glob("*.mjr"))[0]
    writing = track.with_name(track.name + ".tmp")
    track.rename(writing)
    os.utime(writing)  # Janus wrote to it just now: the meeting has just ended
    clock = Clock()
    await world.enqueue(source, now=clock.now)
    worker = world.worker(clock, recording_settle_seconds=5)

    assert await worker.process_due() == 1
    job = await world.job_of(source)
    assert (job.status, job.attempts, job.lease_until) == (jobs.PENDING, 0, None)
    assert job.next_attempt_at == clock.now + timedelta(seconds=5)
    assert job.last_error == f"Janus is still writing the recording in {source}"
    assert await worker.process_due() == 0, "not due before the settle time"

    writing.rename(track)  # Janus closed the file
    clock.advance(5)
    assert await worker.process_due() == 1
    job = await world.job_of(source)
    assert (job.status, job.attempts, job.last_error) == (jobs.PENDING, 0, None)
    assert [r.id for r in await world.recordings()] == [job.recording_id], "playable"
    assert await worker.process_due() == 1
    assert (await world.job_of(source)).status == jobs.DONE


@pytest.mark.anyio
async def test_a_deleted_session_gets_no_recording(world: World) -> None:
    source = recorded_room(world.recordings_root)
    await world.enqueue(source)
    async with transaction(world.database, write=True) as conn:
        await sessions.delete(conn, world.owner, world.session_id)
    assert await world.worker().process_due() == 1
    job = await world.job_of(source)
    assert job.status == jobs.FAILED
    assert job.last_error == f"session {world.session_id} was deleted; no recording was made"
    assert await world.recordings() == []
    assert world.blobs() == []


@pytest.mark.anyio
async def test_a_stopped_worker_hands_its_job_back_at_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = recorded_room(world.recordings_root)
    await world.enqueue(source)
    # The test stops the worker the moment the composition starts, however quick it would be.
    started = asyncio.Event()

    async def noted(*args: Any, **kwargs: Any) -> Composition:
        started.set()
        return await compose(*args, **kwargs)

    monkeypatch.setattr(recorder, "compose", noted)
    worker = world.worker()
    running = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), WAIT_SECONDS)
    assert any(p.name.startswith(".compose-") for p in world.recordings_root.iterdir())
    assert await world.recordings(), "playable from its tracks before it is composed"
    worker.stop()
    await asyncio.wait_for(running, WAIT_SECONDS)

    job = await world.job_of(source)
    assert job.status == jobs.PENDING
    assert job.lease_until is None, "released, not left to expire"
    assert job.next_attempt_at <= utcnow()
    [recording] = await world.recordings()
    assert recording.media_key is None, "it still plays from its tracks"
    keys = [t.media_key for t in await world.tracks(recording.id)]
    assert sorted(world.blobs()) == sorted(world.store.path(key) for key in keys)
