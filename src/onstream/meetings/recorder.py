"""The recording worker: turns each queued recording job into one recording of the session's
owner, exactly once, playable within seconds of the meeting's end, and downloadable as one
file after.

It runs inside `onstream serve` beside the mail worker (unless `ONSTREAM_RECORDING_WORKER=0`),
and any number of them may share one database. A job has two steps (see `jobs`):

1. **Playable.** The room's `.mjr` tracks are remuxed (`janus-pp-rec`, no re-encoding: a few
   seconds even for an hour's meeting) into files a browser plays, each put in the media
   store, and the recording is added with its tracks on one timeline: the playback page plays
   them side by side in sync. The API lists the recording from then on.
2. **Composed.** The tracks are composed into one `.webm` (an encode: minutes) and given to
   the recording as its file, the one `/play/{id}/media` serves for download.

Each worker runs at most one composition at a time, in the background: an encode keeps the
CPU busy and a second one would only halve the speed of both. Its rounds meanwhile keep
taking first steps, so a meeting that ends while an hour-long one is being composed is
playable at once all the same.

Each step renews its lease every third of `recording_lease_seconds`, puts its files in the
media store, then in ONE transaction checks that the job is still its own at that step,
writes its rows and moves the job on. So:

* killed after that commit, the step is done and is never redone;
* killed before it, the lease runs out and another run redoes the step; a transaction that
  fails deletes the media it put. The one leftover is a SIGKILL between the put and the
  commit: those blobs stay in the store with no row referring to them (unreachable; a sweep
  of keys no row names can remove them), the price of keeping the copy out of the
  transaction;
* stopped (`stop()`, a server shutdown), it kills the tools and hands the jobs back at once.

The `.mjr` directory stays until the file is composed, so any attempt can start over from
it, and stays after a failure, for the operator's `retry-job`; once the job is done it is
removed (the tracks and the file hold everything in it).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from onstream.background import Worker
from onstream.clock import utcnow
from onstream.config import Settings
from onstream.errors import Deleted, Missing
from onstream.media.store import MediaSource, MediaStore, StoredMedia, file_chunks, put_source
from onstream.meetings import jobs
from onstream.meetings.compose import (
    Composition,
    Converted,
    Layout,
    NothingRecorded,
    Skipped,
    StillRecording,
    compose,
    convert_all,
    recorded_files,
    timeline,
)
from onstream.recordings import service as recordings
from onstream.recordings.models import NewRecording, NewTrack
from onstream.recordings.rules import TITLE_MAX
from onstream.storage.database import Database, transaction
from onstream.users import repository as accounts

log = logging.getLogger("onstream.recordings")

T = TypeVar("T")
OUTPUT_NAME = "recording.webm"
WORK_PREFIX = ".compose-"


class SessionGone(Exception):
    """The job's session (or its owner) was deleted: there is nobody to give a recording to."""


class Stopped(Exception):
    """The worker is stopping: the job goes back to the queue."""


class RecordingWorker(Worker):
    """Processes recording jobs until stopped; `wake()` makes it look at the queue at once."""

    label = "recording"

    def __init__(
        self,
        *,
        database: Database,
        store: MediaStore,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        layout: Layout | None = None,
    ) -> None:
        super().__init__(poll_seconds=settings.recording_poll_seconds, log=log)
        self._database = database
        self._store = store
        self._settings = settings
        self._clock = clock
        self._layout = layout or Layout()
        self._policy = jobs.RetryPolicy.from_settings(settings)
        self._lease = timedelta(seconds=settings.recording_lease_seconds)
        self._busy: set[asyncio.Task[Any]] = set()
        self._composing: asyncio.Task[None] | None = None

    def stop(self) -> None:
        """Kill the tools in hand, give their jobs back, then return from `run`."""
        super().stop()
        for task in list(self._busy):
            task.cancel()

    async def round(self) -> bool:
        """Make one recording playable; start composing one in the background unless a
        composition is running. Another round follows at once when a job was taken."""
        taken = await self._take(composing=False)
        if self._composing is None and not self.stopping:
            async with transaction(self._database, write=True) as conn:
                claimed = await jobs.claim(
                    conn,
                    now=self._clock(),
                    lease=self._lease,
                    policy=self._policy,
                    limit=1,
                    composing=True,
                )
            if claimed:
                self._composing = asyncio.create_task(self._compose_in_background(claimed[0]))
        return taken > 0

    async def close(self) -> None:
        """Wait for the composition in hand to hand its job back (`stop` cancelled it)."""
        if self._composing is not None:
            await asyncio.wait({self._composing})

    async def _compose_in_background(self, job: jobs.Claimed) -> None:
        try:
            await self.process(job)
        finally:
            self._composing = None
            self.wake()

    async def process_due(self) -> int:
        """Claim one due job and do its next step; how many were taken (0 or 1)."""
        return await self._take(composing=None)

    async def _take(self, *, composing: bool | None) -> int:
        async with transaction(self._database, write=True) as conn:
            claimed = await jobs.claim(
                conn,
                now=self._clock(),
                lease=self._lease,
                policy=self._policy,
                limit=1,
                composing=composing,
            )
        for job in claimed:
            await self.process(job)
        return len(claimed)

    async def process(self, job: jobs.Claimed) -> None:
        """Do one claimed job's next step, or record why it could not be done."""
        try:
            if job.recording_id is None:
                recording_id = await self._publish(job)
            else:
                recording_id = await self._complete(job)
        except (SessionGone, NothingRecorded) as exc:
            await self._fail(job, str(exc), permanent=True)
        except StillRecording as exc:
            await self._postpone(job, str(exc))
        except jobs.NotHeld as exc:
            log.warning("%s; this attempt is dropped", exc)
        except Stopped:
            await self._release(job)
        except asyncio.CancelledError:
            await self._release(job)
            raise
        except Exception as exc:  # any other trouble is one failed attempt, shown to the operator
            log.warning("recording job %s failed: %s", job.id, exc, exc_info=True)
            await self._fail(job, str(exc) or type(exc).__name__, permanent=False)
        else:
            if job.recording_id is None:
                log.info("recording job %s made recording %s playable", job.id, recording_id)
                self.wake()
            else:
                log.info("recording job %s composed recording %s", job.id, recording_id)
                await asyncio.to_thread(shutil.rmtree, job.source_dir, ignore_errors=True)

    async def _publish(self, job: jobs.Claimed) -> int:
        """Remux the tracks, store them and add the recording playable from them; its id."""
        owner = await self._owner(job)
        work_dir = _work_dir(job)
        keys: list[str] = []
        committed = False
        try:
            converted, skipped = await self._holding(job, self._convert(job, work_dir))
            start, total = timeline(converted)
            tracks = []
            for item in converted:
                chunks = file_chunks(item.media)
                media = await put_source(self._store, MediaSource(item.media.name, None, chunks))
                keys.append(media.key)
                tracks.append(_new_track(item, media, start=start))
            title = f"Recording of {owner.topic}"[:TITLE_MAX].strip()
            new = NewRecording(
                session_id=job.session_id, title=title, duration_ms=round(total * 1000)
            )
            skipped_text = "\n".join(map(str, skipped)) or None
            recording_id = await self._record(job, new, tracks, owner.login, skipped_text)
            committed = True
        finally:
            await asyncio.to_thread(shutil.rmtree, work_dir, ignore_errors=True)
            if not committed:  # no row refers to them: they are garbage
                for key in keys:
                    await self._store.delete(key)
        return recording_id

    async def _complete(self, job: jobs.Claimed) -> int:
        """Compose the recording's one file and give it to the recording; its id."""
        assert job.recording_id is not None
        async with transaction(self._database, write=False) as conn:
            if not await jobs.holds(conn, job, lock=False):
                raise jobs.NotHeld(f"recording job {job.id} was taken over by another worker")
            wanted = await recordings.playable(conn, job.recording_id) is not None
        media = None
        if wanted:  # a deleted recording (or a disabled account's) gets no file
            work_dir = _work_dir(job)
            try:
                composition = await self._holding(job, self._compose(job, work_dir))
                name = f"session-{job.session_id}-recording.webm"
                chunks = file_chunks(composition.output)
                media = await put_source(self._store, MediaSource(name, None, chunks))
            finally:
                await asyncio.to_thread(shutil.rmtree, work_dir, ignore_errors=True)
        attached = False
        try:
            async with transaction(self._database, write=True) as conn:
                if not await jobs.holds(conn, job):
                    raise jobs.NotHeld(f"recording job {job.id} was taken over by another worker")
                if media is not None:
                    attached = await recordings.attach_media(conn, job.recording_id, media)
                if not await jobs.finish(conn, job, now=self._clock()):
                    raise jobs.NotHeld(f"recording job {job.id} changed while it was recorded")
        except BaseException:
            attached = False
            raise
        finally:
            if media is not None and not attached:
                await self._store.delete(media.key)
        return job.recording_id

    async def _owner(self, job: jobs.Claimed) -> jobs.SessionOwner:
        """The session's owner and topic; checked, with the claim, before any work."""
        async with transaction(self._database, write=False) as conn:
            if not await jobs.holds(conn, job, lock=False):
                raise jobs.NotHeld(f"recording job {job.id} was taken over by another worker")
            owner = await jobs.session_owner(conn, job.session_id)
        if owner is None or owner.deleted:
            raise SessionGone(f"session {job.session_id} was deleted; no recording was made")
        return owner

    async def _convert(
        self, job: jobs.Claimed, work_dir: Path
    ) -> tuple[list[Converted], list[Skipped]]:
        """Remux the job's tracks into the work directory."""
        files = recorded_files(Path(job.source_dir))
        _remove_dead_attempts(job)
        await asyncio.to_thread(work_dir.mkdir, parents=True)
        return await convert_all(files, work_dir)

    async def _compose(self, job: jobs.Claimed, work_dir: Path) -> Composition:
        """Compose the job's files into the work directory."""
        files = recorded_files(Path(job.source_dir))
        _remove_dead_attempts(job)
        tracks = work_dir / "tracks"
        await asyncio.to_thread(tracks.mkdir, parents=True)
        return await compose(files, work_dir / OUTPUT_NAME, work_dir=tracks, layout=self._layout)

    async def _holding(self, job: jobs.Claimed, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` while renewing the job's lease; cancelled when the lease is lost or the
        worker stops."""
        if self.stopping:
            work.close()
            raise Stopped("the worker is stopping")
        task = asyncio.create_task(work)
        self._busy.add(task)
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=self._lease.total_seconds() / 3)
                if not task.done() and not await self._renew(job):
                    raise jobs.NotHeld(f"recording job {job.id} was taken over by another worker")
            if task.cancelled():
                raise Stopped("the worker is stopping")
            return task.result()
        finally:
            self._busy.discard(task)
            if not task.done():
                task.cancel()
                await asyncio.wait({task})

    async def _renew(self, job: jobs.Claimed) -> bool:
        """Extend the lease; a database hiccup is logged and the work goes on (the lease has
        two more renewals to run before it expires, and the final check catches the rest)."""
        try:
            async with transaction(self._database, write=True) as conn:
                return await jobs.renew(conn, job, now=self._clock(), lease=self._lease)
        except DBAPIError as exc:
            log.warning("renewing the lease of recording job %s failed: %s", job.id, exc)
            return True

    async def _record(
        self,
        job: jobs.Claimed,
        new: NewRecording,
        tracks: list[NewTrack],
        login: str,
        skipped: str | None,
    ) -> int:
        """Add the recording with its tracks and move the job to its second step, in one
        transaction, if the job is still this worker's and has no recording yet."""
        async with transaction(self._database, write=True) as conn:
            if not await jobs.holds(conn, job):
                raise jobs.NotHeld(f"recording job {job.id} was taken over by another worker")
            account = await accounts.account_by_login(conn, login)
            if account is None:
                raise SessionGone(f"the owner of session {job.session_id} was deleted")
            try:
                recording_id = await recordings.add(
                    conn,
                    account,
                    new,
                    media=None,
                    base_url=self._settings.public_base_url,
                    tracks=tracks,
                )
            except (Deleted, Missing) as exc:
                raise SessionGone(f"{exc.message}; no recording was made") from exc
            moved = await jobs.playable(
                conn, job, recording_id=recording_id, now=self._clock(), skipped=skipped
            )
            if not moved:
                raise jobs.NotHeld(f"recording job {job.id} changed while it was recorded")
        return recording_id

    async def _fail(self, job: jobs.Claimed, error: str, *, permanent: bool) -> None:
        try:
            async with transaction(self._database, write=True) as conn:
                retry_at = await jobs.fail(
                    conn,
                    job,
                    error=error,
                    now=self._clock(),
                    policy=self._policy,
                    permanent=permanent,
                )
        except jobs.NotHeld as exc:
            log.warning("%s; its failure (%s) is not recorded", exc, error)
            return
        if retry_at is None:
            log.error("recording job %s failed for good: %s", job.id, error)
        else:
            log.info("recording job %s failed (%s); retrying at %s", job.id, error, retry_at)

    async def _postpone(self, job: jobs.Claimed, reason: str) -> None:
        """The meeting has just ended and Janus is closing its files: look again shortly."""
        until = self._clock() + timedelta(seconds=self._settings.recording_settle_seconds)
        try:
            async with transaction(self._database, write=True) as conn:
                await jobs.postpone(conn, job, until=until, reason=reason)
        except jobs.NotHeld as exc:
            log.warning("%s; it is not postponed", exc)
            return
        log.info("recording job %s waits until %s: %s", job.id, until, reason)

    async def _release(self, job: jobs.Claimed) -> None:
        async with transaction(self._database, write=True) as conn:
            await jobs.release(conn, job, now=self._clock())
        log.info("recording job %s handed back: the worker is stopping", job.id)


def _work_dir(job: jobs.Claimed) -> Path:
    """Where one attempt composes: beside the recordings (the same disk, which has room for
    them), named after the job and attempt so that a later attempt finds a dead one's."""
    return Path(job.source_dir).parent / f"{WORK_PREFIX}{job.id}-{job.attempt}"


def _remove_dead_attempts(job: jobs.Claimed) -> None:
    """Remove the work directories of this job's earlier attempts (a killed worker's)."""
    for old in Path(job.source_dir).parent.glob(f"{WORK_PREFIX}{job.id}-*"):
        attempt = old.name.rsplit("-", 1)[-1]
        if attempt.isdigit() and int(attempt) < job.attempt:
            shutil.rmtree(old, ignore_errors=True)


PARTICIPANT_MAX = 64


def _new_track(item: Converted, media: StoredMedia, *, start: int) -> NewTrack:
    """A remuxed track as the recording keeps it, placed from the recording's start."""
    return NewTrack(
        participant=item.track.participant[:PARTICIPANT_MAX],
        kind=item.track.kind,
        offset_ms=round((item.track.first_packet_us - start) / 1000),
        duration_ms=round(item.duration * 1000),
        media_key=media.key,
        media_type=media.content_type,
        media_size=media.size,
    )
