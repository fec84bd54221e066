"""How sessions appear in API documents (CONTRACT §3, §5)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from onstream import timezones
from onstream.protocol.document import Document
from onstream.protocol.times import iso_utc
from onstream.sessions import rules
from onstream.sessions.models import FIELDS as SESSION_FIELDS
from onstream.sessions.models import Session
from onstream.storage.prepared import Row

FIELDS = (
    "id",
    "topic",
    "start_time",
    "duration",
    "timezone",
    "password",
    "friendly_url",
    "session_key",
    "session_access_code",
    "session_link",
    "custom_data",
    "start_time_utc",
    "end_time_utc",
    "created_at",
    "updated_at",
    "auto_record",
    "host_link",
    "series_id",
    "session_dial_in_numbers",
    "waiting_room",
)
DEFAULT_FIELDS = (
    "id",
    "topic",
    "start_time",
    "duration",
    "timezone",
    "password",
    "session_access_code",
    "session_link",
    "custom_data",
)


MODERATOR = 1
INVITEE_EXTRAS = ("role", "personal_session_link")
"""Added to every session a registered invitee is shown (CONTRACT §6a), after the fields
`return` selected from FIELDS."""


class Owner(Protocol):
    """What a session's document needs of its owner (an `Account` is one)."""

    @property
    def login(self) -> str:
        """The owner's login, the first segment of the session's links."""

    @property
    def dst(self) -> bool:
        """Whether the owner's zone code follows daylight saving time."""


def host_link(base_url: str, owner: Owner, session: Session) -> str:
    """`{base_url}/{username}/host/{host_key}`: the owner's way into the room as moderator."""
    return _host_link(base_url, owner, session.host_key)


def session_link(base_url: str, owner: Owner, session: Session) -> str:
    """`{base_url}/{username}/{friendly_url or session_key}`."""
    return _session_link(base_url, owner, session.friendly_url, session.session_key)


def _host_link(base_url: str, owner: Owner, host_key: str) -> str:
    return f"{base_url}/{owner.login}/host/{host_key}"


def _session_link(base_url: str, owner: Owner, friendly_url: str | None, session_key: str) -> str:
    return f"{base_url}/{owner.login}/{friendly_url or session_key}"


_Getter = Callable[[Session, Owner, str, tuple[str, ...]], Any]

_EXPRESSIONS: dict[str, str] = {
    "id": "s.id",
    "topic": "s.topic",
    "start_time": "(wall_time_text(s.start_utc, s.timezone, o.dst) if s.timezone in CODES"
    " else api_wall_text(s.start_utc, s.timezone, o.dst))",
    "duration": "s.duration",
    "timezone": "(s.timezone if s.timezone in CODES else api_code(s.timezone, s.start_utc, o.dst))",
    "password": "s.password",
    "friendly_url": "s.friendly_url",
    "session_key": "s.session_key",
    "session_access_code": "s.access_code",
    "session_link": "session_link(b, o, s.friendly_url, s.session_key)",
    "custom_data": "(dict(s.custom_data) if s.custom_data else None)",
    "start_time_utc": "iso_utc(s.start_utc)",
    "end_time_utc": "iso_utc(end_utc(s.start_utc, s.duration))",
    "created_at": "iso_utc(s.created_at)",
    "updated_at": "iso_utc(s.updated_at)",
    "auto_record": "bool(s.auto_record)",
    "host_link": "host_link(b, o, s.host_key)",
    "series_id": "s.series_id",
    "session_dial_in_numbers": "(list(d) if d and s.access_code is not None else None)",
    "waiting_room": "bool(s.waiting_room)",
}
"""Each field as an expression of the session `s`, its owner `o`, the base URL `b` and the
bridge's phone numbers `d` (`ONSTREAM_DIAL_IN_NUMBERS`, the same for every account). A
session's values appear only as `s.<field of Session>`, so that the same expression also
serves a row of only some columns (`s[i]`, see `columns_for`). A zone held as an IANA name
is shown as a code (`rules.api_code`); a code, the usual case, costs one dict lookup more."""
assert tuple(_EXPRESSIONS) == FIELDS

_ATTRIBUTE = re.compile(r"\bs\.([a-z_]+)")

_NAMESPACE = {
    "end_utc": rules.end_utc,
    "host_link": _host_link,
    "iso_utc": iso_utc,
    "session_link": _session_link,
    "CODES": timezones.CODES,
    "api_code": rules.api_code,
    "api_wall_text": rules.api_wall_text,
    "wall_time_text": rules.wall_time_text,
}


def _function(source: str) -> Any:
    # Only this module's constant expressions and field names from FIELDS reach here.
    return eval(source, dict(_NAMESPACE))  # noqa: S307


_GETTERS: dict[str, _Getter] = {
    name: _function(f"lambda s, o, b, d: {expression}") for name, expression in _EXPRESSIONS.items()
}


@lru_cache(maxsize=64)
def columns_for(fields: tuple[str, ...]) -> tuple[str, ...]:
    """The columns (fields of Session, in its order) that these document fields are made of:
    what a page needs to read for them. Cached per selection, as `_row_builder` is: the
    pattern search is 4 % of a page's instructions."""
    used = {name for field in fields for name in _ATTRIBUTE.findall(_EXPRESSIONS[field])}
    return tuple(name for name in SESSION_FIELDS if name in used)


@lru_cache(maxsize=64)
def _row_builder(
    fields: tuple[str, ...], columns: tuple[str, ...] | None = None
) -> Callable[[Any, Owner, str, tuple[str, ...]], dict[str, Any]]:
    """A function that builds one row's dict for these fields in a single expression, from
    a Session, or with `columns` from a row of those columns (`s.topic` becomes `s[1]`).

    A getter called per field (a dict comprehension over them) cost 25,000 instructions a
    row, a third of them the calls; a page of 100 sessions spent 2.5 M instructions on its
    rows, 1.7 M this way (callgrind). Built once per selection of fields (FIELDS or the
    default for almost every call)."""
    items = ", ".join(f"{name!r}: {_EXPRESSIONS[name]}" for name in fields)
    if columns is not None:
        items = _ATTRIBUTE.sub(lambda m: f"s[{columns.index(m.group(1))}]", items)
    builder: Callable[[Any, Owner, str, tuple[str, ...]], dict[str, Any]] = _function(
        f"lambda s, o, b, d: {{{items}}}"
    )
    return builder


def sessions_document(
    items: Sequence[Session],
    *,
    owner: Owner,
    base_url: str,
    fields: Sequence[str],
    dial_in: tuple[str, ...] = (),
) -> Document:
    """`{"sessions": [...]}` with the selected fields, XML `<root><sessions><session>`."""
    row = _row_builder(tuple(fields))
    return _sessions([row(s, owner, base_url, dial_in) for s in items])


def page_document(
    rows: Sequence[Row],
    *,
    owner: Owner,
    base_url: str,
    fields: Sequence[str],
    dial_in: tuple[str, ...] = (),
) -> Document:
    """`sessions_document` for rows of the columns `columns_for(fields)` names."""
    fields = tuple(fields)
    row = _row_builder(fields, columns_for(fields))
    return _sessions([row(r, owner, base_url, dial_in) for r in rows])


def _sessions(rows: list[dict[str, Any]]) -> Document:
    return Document(
        {"sessions": rows},
        root="root",
        item_names={"sessions": "session", "session_dial_in_numbers": "number"},
    )


@dataclass(frozen=True, slots=True)
class InviteeView:
    """One session of another account as a registered invitee of it sees it."""

    session: Session
    owner: Owner
    role: int
    """The invitee's role: 1 moderator, 2 participant, 3 observer."""
    personal_session_link: str


def invited_sessions_document(
    views: Sequence[InviteeView],
    *,
    timezone: str,
    dst: bool,
    base_url: str,
    fields: Sequence[str],
    dial_in: tuple[str, ...] = (),
) -> Document:
    """`{"sessions": [...]}` for a registered invitee: times in the invitee's own `timezone`
    and `dst`, the passcode for moderators only, never the owner's host link, and always
    `role` and `personal_session_link` after the selected fields."""
    rows = []
    for view in views:
        session, owner = view.session, view.owner
        overrides: dict[str, Any] = {
            "start_time": rules.api_wall_text(session.start_utc, timezone, dst),
            "timezone": rules.api_code(timezone, session.start_utc, dst),
            "password": session.password if view.role == MODERATOR else None,
            "host_link": None,
        }
        row = {
            name: overrides[name]
            if name in overrides
            else _GETTERS[name](session, owner, base_url, dial_in)
            for name in fields
        }
        row.update(role=view.role, personal_session_link=view.personal_session_link)
        rows.append(row)
    return _sessions(rows)
