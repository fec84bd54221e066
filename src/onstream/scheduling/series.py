"""Writes of a recurring series as a whole, on top of the one-session writes in
`scheduling.service`: a series change or cancellation is that write on each occurrence that
has not started yet, so rooms, invitee mail and every other side effect happen as for one
session. No HTTP; runs inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import replace

from onstream.clock import utcnow
from onstream.invitees import participants
from onstream.invitees.models import InviteeInput
from onstream.scheduling import series_mail, service
from onstream.scheduling.service import Change
from onstream.sessions import rules, series
from onstream.sessions import service as sessions
from onstream.sessions.models import SessionInput
from onstream.sessions.series import Series

SERIES_FIELDS = ("topic", "duration", "password")
"""What a series change may set for all its upcoming occurrences, besides `time`."""


async def create_series(
    change: Change, data: SessionInput, entries: list[InviteeInput]
) -> tuple[int, list[int]]:
    """PUT session with `recurrence`: the series and its occurrences. Each invitee is
    invited to every occurrence and gets one e-mail for the whole series (unless the entry
    says not to)."""
    series_id, ids = await series.create(change.conn, change.owner, data)
    quiet = participants.checked([replace(entry, send=False) for entry in entries])
    for session_id in ids:
        session = await sessions.get(change.conn, change.owner, session_id)
        await service.tell_webhooks(change, "session.created", session)
        await participants.apply(change.invitees(), session, quiet, new_session=True)
    if any(entry.send is not False for entry in entries):
        await series_mail.mail_series(change, series_id, kind="invitation")
    return series_id, ids


async def update_series(
    change: Change, series_id: int, data: SessionInput, *, time: str | None
) -> Series:
    """Change topic, duration, passcode or time of day of every upcoming occurrence that was
    not moved on its own; started and past occurrences stay as they were."""
    found = await series.get(change.conn, change.owner, series_id)
    checked_time = series.check_time(time) if time is not None else None
    _check_fields(data)
    for occurrence in found.upcoming(utcnow()):
        if series.is_exception(occurrence):
            continue
        one = series.moved_input(occurrence, data, time=checked_time, dst=change.owner.dst)
        try:
            updated = await service.update_session(change, occurrence.id, one, [], quiet=True)
        except rules.OutOfRange as exc:
            if one.start_time is None:
                raise
            # the call has no start_time: say which of its fields moved the occurrence out
            raise rules.OutOfRange(
                f"time {checked_time} for {one.start_time}: {exc.message}"
            ) from exc
        await series.mark_planned(change.conn, updated)
    if data.topic is not None or data.duration is not None or checked_time is not None:
        await series_mail.mail_series(change, series_id, kind="update")
    return await series.get(change.conn, change.owner, series_id)


async def cancel_series(change: Change, series_id: int) -> list[int]:
    """Cancel every upcoming occurrence (each as DELETE session does); returns their ids."""
    found = await series.get(change.conn, change.owner, series_id)
    await series_mail.mail_series(change, series_id, kind="cancel")
    cancelled = []
    for occurrence in found.upcoming(utcnow()):
        await service.delete_session(change, occurrence.id, quiet=True)
        cancelled.append(occurrence.id)
    return cancelled


def _check_fields(data: SessionInput) -> None:
    """Every field is checked before the first occurrence changes, even with none left."""
    if data.topic is not None:
        rules.check_topic(data.topic)
    if data.duration is not None:
        rules.check_duration(data.duration)
    if data.password is not None:
        rules.check_password(data.password)
