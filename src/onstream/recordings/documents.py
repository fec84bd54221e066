"""How recordings appear in API documents (CONTRACT §3, §8).

`creation_date` has the documentation's layout (`2010-08-31 14:00:00`) and is the wall time
in the recording's session's zone, the clock its `start_time` is shown in, so the two can be
compared directly (see docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from onstream.accounts import Account
from onstream.protocol.document import Document
from onstream.recordings import rules
from onstream.recordings.models import Recording
from onstream.sessions.rules import wall_time_text

FIELDS = (
    "id",
    "session_id",
    "title",
    "description",
    "password",
    "duration",
    "allow_anonymous_playback",
    "recording_link",
    "creation_date",
)
DEFAULT_FIELDS = FIELDS


def recording_link(base_url: str, recording: Recording) -> str:
    """`{base_url}/play/{id}-{slug of title}`."""
    return base_url + rules.playback_path(recording.id, recording.title)


def creation_date(recording: Recording, owner: Account) -> str:
    """When it was made, as wall time in its session's zone."""
    return wall_time_text(recording.created_at, recording.timezone, owner.dst)


_Getter = Callable[[Recording, Account, str], Any]

_GETTERS: dict[str, _Getter] = {
    "id": lambda r, o, b: r.id,
    "session_id": lambda r, o, b: r.session_id,
    "title": lambda r, o, b: r.title,
    "description": lambda r, o, b: r.description,
    "password": lambda r, o, b: r.password,
    "duration": lambda r, o, b: r.duration_ms,
    "allow_anonymous_playback": lambda r, o, b: r.allow_anonymous_playback,
    "recording_link": lambda r, o, b: recording_link(b, r),
    "creation_date": lambda r, o, b: creation_date(r, o),
}
assert tuple(_GETTERS) == FIELDS


def recordings_document(
    items: Sequence[Recording], *, owner: Account, base_url: str, fields: Sequence[str]
) -> Document:
    """`{"recordings": [...]}` with the selected fields, XML `<root><recordings><recording>`."""
    getters = [(name, _GETTERS[name]) for name in fields]
    rows = [{name: get(r, owner, base_url) for name, get in getters} for r in items]
    return Document({"recordings": rows}, root="root", item_names={"recordings": "recording"})
