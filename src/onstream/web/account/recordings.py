"""`/account/recordings`: the account's recordings: rename, protect with a password, delete;
and the recordings still being made or that failed, with "Try again" for a failed one.

Playing is the playback page's job (`web.playback`, the `recording_link` every viewer gets):
the page links there rather than embedding a player of its own, so one route decides who
gets a recording's bytes (its gate, its pass, its media URL) and the owner sees exactly what
a viewer sees, password question included.
"""

from __future__ import annotations

from functools import partial

from starlette.responses import Response

from onstream.clock import utcnow
from onstream.errors import Deleted, DomainError, Invalid, Missing
from onstream.meetings import jobs
from onstream.recordings import rules, service
from onstream.recordings.models import Recording, RecordingInput
from onstream.storage.unit_of_work import unit_of_work
from onstream.web.account.files import item_id
from onstream.web.account.framework import Visit, account_page, errors_for
from onstream.web.pages import not_found
from onstream.web.playback import length

PAGE_SIZE = 50
SECTIONS = ("title", "password", "clear-password")
"""The forms of a recording's page, told apart by their `section` field."""


def shown(recording: Recording) -> dict[str, object]:
    """What the lists and the recording's page show of a recording."""
    return {
        "id": recording.id,
        "title": recording.title,
        "session_id": recording.session_id,
        "length": length(recording.duration_ms),
        "protected": recording.password is not None,
        "has_media": recording.media_key is not None,
        "play": rules.playback_path(recording.id, recording.title),
        "added": f"{recording.created_at:%Y-%m-%d}",
    }


def shown_job(own: jobs.OwnJob) -> dict[str, object]:
    """What the list shows of a recording job: its session, since when, and its state in
    words, with the tracks a finished one left out."""
    job = own.job
    failed = job.status == jobs.FAILED
    return {
        "id": job.id,
        "topic": own.topic,
        "session_id": job.session_id,
        "since": f"{job.created_at:%Y-%m-%d %H:%M} UTC",
        "state": _state(own),
        "failed": failed,
        "skipped": (job.skipped or "").splitlines() if job.status == jobs.DONE else [],
    }


_STATES = {jobs.PENDING: "being prepared", jobs.DONE: "ready, with some tracks left out"}


def _state(own: jobs.OwnJob) -> str:
    """The job's state in words; once its recording plays, only its file is still to come."""
    job = own.job
    playable = job.recording_id is not None
    if job.status == jobs.FAILED:
        if playable:
            return "plays, but its downloadable file could not be made"
        return f"failed: {own.reason}"
    if job.status == jobs.PENDING and playable:
        return "plays now; its downloadable file is being prepared"
    return _STATES.get(job.status, job.status)


@account_page
async def listing(visit: Visit) -> Response:
    """The account's recordings, newest first."""
    text = visit.request.query_params.get("offset", "0")
    offset = min(int(text), 10**9) if text.isdigit() else 0
    async with visit.transaction(write=False) as conn:
        found = await service.page(
            conn,
            visit.account,
            session_id=None,
            count=PAGE_SIZE + 1,
            offset=offset,
            descending=True,
        )
        own_jobs = await jobs.jobs_of_account(conn, visit.account.id) if not offset else []
    context = {
        "jobs": [shown_job(j) for j in own_jobs],
        "recordings": [shown(r) for r in found[:PAGE_SIZE]],
        "previous": max(0, offset - PAGE_SIZE) if offset else None,
        "next": offset + PAGE_SIZE if len(found) > PAGE_SIZE else None,
    }
    return visit.render("account/recordings.html", context)


async def _owned(visit: Visit) -> Recording | None:
    """The URL's recording when it is a live recording of this account."""
    recording_id = item_id(visit, "recording_id")
    if recording_id is None:
        return None
    async with visit.transaction(write=False) as conn:
        try:
            return await service.get(conn, visit.account, recording_id)
        except (Missing, Deleted):
            return None


@account_page
async def recording_page(visit: Visit) -> Response:
    """GET: the recording with its forms. POST: rename it, or set or remove its playback
    password (`section` says which), with the API's rules and messages."""
    recording = await _owned(visit)
    if recording is None:
        return not_found()
    if visit.request.method == "GET":
        context = {"recording": shown(recording), "section": ""}
        return visit.render("account/recording.html", context)
    section = visit.form.get("section", "")
    if section not in SECTIONS:
        return not_found()
    if section == "title":
        change = RecordingInput(title=visit.form.get("title", ""))
    else:
        password = visit.form.get("password", "") if section == "password" else ""
        change = RecordingInput(password=password)
    try:
        async with visit.transaction(write=True) as conn:
            await service.update(
                conn, visit.account, recording.id, change, base_url=visit.settings.public_base_url
            )
    except (Missing, Deleted):
        return not_found()
    except DomainError as exc:
        context = {"recording": shown(recording), "section": section}
        errors = errors_for(exc, ("title", "password"))
        return visit.render("account/recording.html", context, errors=errors, status=400)
    return visit.redirect(f"/account/recordings/{recording.id}", flash="recording-saved")


@account_page
async def delete(visit: Visit) -> Response:
    """GET: ask to confirm. POST: delete the recording; its media leaves the store after
    the commit, as DELETE recording does."""
    recording = await _owned(visit)
    if recording is None:
        return not_found()
    if visit.request.method == "GET":
        return visit.render("account/recording_delete.html", {"recording": shown(recording)})
    try:
        async with unit_of_work(visit.database, write=True) as work:
            media_keys = await service.delete(
                work.conn, visit.account, recording.id, base_url=visit.settings.public_base_url
            )
            for media_key in media_keys:
                work.after_commit(partial(visit.services.media.delete, media_key))
    except (Missing, Deleted):
        return not_found()
    return visit.redirect("/account/recordings", flash="recording-deleted")


@account_page
async def retry_job(visit: Visit) -> Response:
    """POST: queue a failed recording job of the account's own session for one more attempt
    now, as the operator's `retry-job` does; anyone else's job is the 404 page."""
    job_id = item_id(visit, "job_id")
    if job_id is None:
        return not_found()
    async with visit.transaction(write=True) as conn:
        job = await jobs.job_of_account(conn, visit.account.id, job_id)
        if job is None:
            return not_found()
        if job.status != jobs.FAILED:  # pending (perhaps running) or done: nothing to retry
            return visit.redirect("/account/recordings", flash="recording-job-busy")
        try:
            await jobs.retry(conn, job.id, now=utcnow())
        except (Missing, Invalid):  # taken up or finished meanwhile
            return visit.redirect("/account/recordings", flash="recording-job-busy")
    return visit.redirect("/account/recordings", flash="recording-job-retried")
