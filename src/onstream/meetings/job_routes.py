"""API handler for `recording_jobs`: the recordings still being made, those that failed and
why, and the tracks a finished one left out, as the session's owner may see them.

A read-only list beside `recordings` rather than fields on it: a recording exists only once
its job is done, so a pending or failed job has no recording to carry a field (see
docs/decisions.md). `reason` is the owner's wording of a failure (`jobs.OwnJob.reason`),
never a tool's text, which stays with the operator. Times are ISO 8601 in UTC. A `session`
filter must name one of the account's sessions (404 otherwise), as for `recordings`.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from onstream.errors import Deleted, Invalid
from onstream.meetings import jobs
from onstream.protocol.describe import PAGING, Operation, Param, described, list_of
from onstream.protocol.document import Document
from onstream.protocol.listing import Listed, paging
from onstream.protocol.params import ID_MAX
from onstream.protocol.resources import Reply
from onstream.protocol.times import iso_utc
from onstream.services import ApiCall
from onstream.sessions import service as sessions

RECORDING_JOBS = list_of(
    "recording_jobs",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "session_id": {"type": "integer"},
            "status": {"type": "string", "enum": list(jobs.STATUSES)},
            "attempts": {"type": "integer"},
            "reason": {"type": ["string", "null"], "description": "Why it failed"},
            "skipped_tracks": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Tracks a done job left out, each with the reason",
            },
            "recording_id": {"type": ["integer", "null"]},
            "created_at": {"type": "string"},
            "finished_at": {"type": ["string", "null"]},
        },
    },
)


def job_row(own: jobs.OwnJob) -> dict[str, Any]:
    """One job: its state, why it failed, what it left out, the recording it made."""
    job = own.job
    return {
        "id": job.id,
        "session_id": job.session_id,
        "status": job.status,
        "attempts": job.attempts,
        "reason": own.reason if job.status == jobs.FAILED else None,
        "skipped_tracks": (job.skipped or "").splitlines() if job.status == jobs.DONE else [],
        "recording_id": job.recording_id,
        "created_at": iso_utc(job.created_at),
        "finished_at": None if job.finished_at is None else iso_utc(job.finished_at),
    }


def _status(text: str | None) -> str | None:
    if text is not None and text not in jobs.STATUSES:
        raise Invalid(f"status must be one of: {', '.join(jobs.STATUSES)}")
    return text


@described(
    Operation(
        "A page of the account's recording jobs: pending, failed (with the reason) and done",
        (
            Param("session", "integer", "Only this session's", minimum=1),
            Param("status", "string", "Only jobs in this status", enum=jobs.STATUSES),
            *PAGING,
        ),
        RECORDING_JOBS,
        listed=True,
    )
)
async def get_recording_jobs(call: ApiCall) -> Reply:
    """GET recording_jobs[/session/N][/status/S]: the jobs of the account's live sessions."""
    session_id = call.params.integer("session", min=1, max=ID_MAX)
    status = _status(call.params.text("status"))
    page = paging(call.params)
    account_id = call.account.id
    if session_id is not None:  # one of the account's sessions, else 404 (a deleted one: none)
        with suppress(Deleted):
            await sessions.get(call.conn, call.account, session_id)
    found = await jobs.page_of_account(
        call.conn,
        account_id,
        session_id=session_id,
        status=status,
        count=page.count,
        offset=page.offset,
        descending=page.descending,
    )
    total = await jobs.total_of_account(call.conn, account_id, session_id=session_id, status=status)
    document = Document(
        {"recording_jobs": [job_row(j) for j in found]},
        item_names={"recording_jobs": "recording_job"},
    )
    return Reply(document, listed=Listed(total=total, page=page))
