"""The rules for adding, changing, reading and deleting recordings. No HTTP here.

Functions run inside the caller's transaction and never commit, and never touch the media
store, which cannot take part in the transaction: the caller stores media before the
transaction (removing it when the transaction fails) and removes a deleted recording's media
only after the commit, so no row ever refers to missing bytes.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.errors import Deleted, Missing
from onstream.media.store import StoredMedia
from onstream.recordings import documents, repository, rules
from onstream.recordings.models import NewRecording, NewTrack, Recording, RecordingInput, Track
from onstream.sessions import service as sessions
from onstream.storage.database import Connection
from onstream.webhooks import outbox as webhooks


async def get(conn: Connection, owner: Account, recording_id: int) -> Recording:
    """A live recording of this account; `Deleted` (410) or `Missing` (404) otherwise."""
    recording = await repository.by_id(conn, recording_id, owner_id=owner.id)
    if recording is None:
        raise Missing(f"Recording {recording_id} does not exist")
    if recording.deleted_at is not None:
        raise Deleted(f"Recording {recording_id} was deleted")
    return recording


async def playable(conn: Connection, recording_id: int) -> Recording | None:
    """A live recording of any enabled account, for its public playback page; None
    otherwise (deleted, never made, or its account disabled: all look the same)."""
    return await repository.playable(conn, recording_id)


async def has_session_passcode(conn: Connection, recording: Recording) -> bool:
    """Whether the recording's password is still its session's passcode, which it inherits
    when made: then the two pages guard one secret (the playback page counts its guesses with
    the join page's)."""
    if recording.password is None:
        return False
    passcode = await repository.session_password(conn, recording.session_id)
    return passcode is not None and hmac.compare_digest(
        passcode.encode("utf-8"), recording.password.encode("utf-8")
    )


async def page(
    conn: Connection,
    owner: Account,
    *,
    session_id: int | None,
    count: int,
    offset: int,
    descending: bool,
) -> list[Recording]:
    """One page of the account's recordings; a `session` filter must name one of its
    sessions (404 otherwise). Recordings outlive a deleted session, so they stay listed."""
    if session_id is not None:
        with suppress(Deleted):
            await sessions.get(conn, owner, session_id)
    return await repository.page(
        conn,
        owner_id=owner.id,
        session_id=session_id,
        count=count,
        offset=offset,
        descending=descending,
    )


async def total(conn: Connection, owner: Account, *, session_id: int | None) -> int:
    """How many live recordings `page` pages through."""
    return await repository.live_count(conn, owner_id=owner.id, session_id=session_id)


async def add(
    conn: Connection,
    owner: Account,
    new: NewRecording,
    *,
    media: StoredMedia | None,
    base_url: str,
    tracks: Sequence[NewTrack] = (),
) -> int:
    """Add a recording of a live session of this account, with media (the one file) and
    tracks (each its own file) the caller already put in the store; it inherits the
    session's passcode. Returns its id. It is ready (the `recording.ready` webhook) as soon
    as it plays: from its tracks alone, before its one file exists."""
    session = await sessions.get(conn, owner, new.session_id)
    values: dict[str, Any] = {
        "owner_id": owner.id,
        "session_id": session.id,
        "title": rules.check_title(new.title),
        "description": rules.check_description(new.description or ""),
        "password": session.password,
        "duration_ms": rules.check_duration(new.duration_ms),
        "allow_anonymous_playback": False,
        "created_at": utcnow(),
    }
    if media is not None:
        values.update(media_key=media.key, media_type=media.content_type, media_size=media.size)
    recording_id = await repository.insert_recording(conn, values)
    await repository.insert_tracks(conn, recording_id, tracks)
    await _tell_webhooks(
        conn, owner, "recording.ready", await get(conn, owner, recording_id), base_url
    )
    return recording_id


async def update(
    conn: Connection, owner: Account, recording_id: int, data: RecordingInput, *, base_url: str
) -> Recording:
    """Change the given fields of a live recording; returns it as it is now."""
    recording = await get(conn, owner, recording_id)
    values: dict[str, Any] = {}
    if data.title is not None:
        values["title"] = rules.check_title(data.title)
    if data.description is not None:
        values["description"] = rules.check_description(data.description)
    if data.password is not None:
        values["password"] = rules.check_password(data.password)
    if data.allow_anonymous_playback is not None:
        values["allow_anonymous_playback"] = data.allow_anonymous_playback
    if values:
        await repository.update_recording(conn, recording.id, values)
    changed = await get(conn, owner, recording_id)
    await _tell_webhooks(conn, owner, "recording.updated", changed, base_url)
    return changed


async def delete(
    conn: Connection, owner: Account, recording_id: int, *, base_url: str
) -> list[str]:
    """Delete a live recording; later calls on it answer 410. Returns the keys of its media
    (its file and its tracks), which the caller removes from the store once the transaction
    committed (a rolled-back delete must still find its media)."""
    recording = await get(conn, owner, recording_id)
    keys = [track.media_key for track in await repository.tracks_of(conn, recording.id)]
    if recording.media_key is not None:
        keys.insert(0, recording.media_key)
    await repository.mark_deleted(conn, recording.id, now=utcnow())
    await _tell_webhooks(conn, owner, "recording.deleted", recording, base_url)
    return keys


async def tracks(conn: Connection, recording_id: int) -> list[Track]:
    """The recording's tracks (none: it plays from its one file), in the order they start."""
    return await repository.tracks_of(conn, recording_id)


async def attach_media(conn: Connection, recording_id: int, media: StoredMedia) -> bool:
    """Give a live recording its one file (composed after it became playable); False when
    it was deleted meanwhile (the caller removes the media then)."""
    recording = await repository.by_id(conn, recording_id)
    if recording is None or recording.deleted_at is not None:
        return False
    values = {"media_key": media.key, "media_type": media.content_type, "media_size": media.size}
    await repository.update_recording(conn, recording_id, values)
    return True


async def _tell_webhooks(
    conn: Connection, owner: Account, event: str, recording: Recording, base_url: str
) -> None:
    """Queue the event for the account's webhooks with the recording as GET recording shows
    it in JSON (every field), in the caller's transaction."""
    shown = documents.recordings_document(
        [recording], owner=owner, base_url=base_url, fields=documents.FIELDS
    )
    key = f"recording:{recording.id}"
    await webhooks.emit(conn, owner, event, key, shown.data["recordings"][0])
