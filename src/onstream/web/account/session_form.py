"""The session form: its fields as a session shows them, and what a posted form asks for.

A posted form becomes the very parameters an API call would send (`start_time`, `duration`,
`custom_data`, `invited_participants`, ...) and is read by the API's own readers
(`sessions.routes.session_input`, `invitees.routes.participants`), so a form and a call are
refused with the same words, which `errors_for` then puts beside the field they name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from onstream import timezones
from onstream.accounts import Account
from onstream.invitees.models import DEFAULT_ROLE, ROLE_NAMES, InviteeInput
from onstream.invitees.routes import participants
from onstream.protocol.params import Params
from onstream.sessions import rules
from onstream.sessions.models import Session, SessionInput
from onstream.sessions.routes import session_input

DEFAULT_DURATION = 60
INVITEE_ROWS = 3
"""Empty invitee rows on a new session's form; more are added on the session's page."""
CUSTOM_ROWS = 3
"""At least this many custom fields are shown (one more than are filled)."""
TEXT_FIELDS = ("topic", "date", "time", "duration", "timezone", "password", "friendly_url")
INVITEE_FIELDS = ("email", "first_name", "last_name", "role")
CUSTOM = re.compile(r"custom([1-9][0-9]{0,3})")
INVITEE = re.compile(r"invitee-([0-9]{1,3})-(email|first_name|last_name|role|send)")
ROLES = [(str(number), name.capitalize()) for number, name in ROLE_NAMES.items()]

Values = dict[str, Any]


def blank(account: Account) -> Values:
    """A new session's form: an hour on the account's own clock, nobody invited yet."""
    rows = [_row() for _ in range(INVITEE_ROWS)]
    return {
        **dict.fromkeys(TEXT_FIELDS, ""),
        "duration": str(DEFAULT_DURATION),
        "timezone": timezones.shown_zone(account.timezone, account.dst),
        "auto_record": False,
        "waiting_room": False,
        "custom": {},
        "invitees": rows,
    }


def of_session(session: Session, account: Account) -> Values:
    """The form of an existing session: its start on its own zone's clock (the account's DST
    setting applies, as in the API)."""
    wall = rules.utc_to_wall(session.start_utc, timezone=session.timezone, dst=account.dst)
    return {
        "topic": session.topic,
        "date": f"{wall:%Y-%m-%d}",
        "time": f"{wall:%H:%M:%S}" if wall.second else f"{wall:%H:%M}",
        "duration": str(session.duration),
        "timezone": timezones.shown_zone(session.timezone, account.dst),
        "password": session.password or "",
        "friendly_url": session.friendly_url or "",
        "auto_record": session.auto_record,
        "waiting_room": session.waiting_room,
        "custom": dict(session.custom_data or {}),
        "invitees": [],
    }


def typed(form: Mapping[str, str], *, with_invitees: bool) -> Values:
    """What a posted form holds, shaped as `blank` and `of_session` are."""
    values: Values = {name: form.get(name, "") for name in TEXT_FIELDS}
    values["auto_record"] = form.get("auto_record") == "1"
    values["waiting_room"] = form.get("waiting_room") == "1"
    values["custom"] = {
        name: text for name, text in form.items() if CUSTOM.fullmatch(name) and text.strip()
    }
    rows: dict[int, dict[str, Any]] = {}
    for name, text in form.items():
        match = INVITEE.fullmatch(name)
        if match:
            rows.setdefault(int(match.group(1)), _row(send=False))[match.group(2)] = text
    for row in rows.values():
        row["send"] = row["send"] == "1"
    count = max([INVITEE_ROWS, *(index + 1 for index in rows)]) if with_invitees else 0
    values["invitees"] = [rows.get(index, _row()) for index in range(count)]
    return values


def custom_rows(values: Values) -> list[tuple[str, str]]:
    """(name, value) of the custom fields to show: every filled one and one more."""
    numbers = [int(m.group(1)) for name in values["custom"] if (m := CUSTOM.fullmatch(name))]
    count = max(CUSTOM_ROWS, max(numbers, default=0) + 1)
    return [
        (f"custom{n}", str(values["custom"].get(f"custom{n}", ""))) for n in range(1, count + 1)
    ]


def field_names(values: Values) -> dict[str, str]:
    """The API's names in error messages → the form's fields (for `errors_for`)."""
    return {**_entries(values["invitees"])[1], **_session_names(values)}


def to_input(
    values: Values, before: Values | None = None
) -> tuple[SessionInput, list[InviteeInput]]:
    """The session fields and invitees the form asks for, read as the API reads them (and
    refused with its words: `BadRequest` or a `DomainError`). With `before` (an edit) only
    what changed is given: an unchanged form changes nothing and mails nobody; a new
    date, time or zone gives `start_time` (wall time on the chosen zone's clock)."""
    raw: dict[str, Any] = {}
    old = before or {}

    def changed(name: str) -> bool:
        return before is None or values[name] != old[name]

    for name in ("topic", "password", "friendly_url"):
        if changed(name) and (before is not None or values[name]):
            raw[name] = values[name]
    if before is None:
        raw["topic"] = values["topic"]
    # On a new session an empty length or start is "not given" (the API's "is required");
    # on an edit, emptying one is a value the API refuses, never "keep the old one".
    if changed("duration") and (before is not None or values["duration"].strip()):
        raw["duration"] = values["duration"]
    start = f"{values['date'].strip()} {values['time'].strip()}".strip()
    if any(changed(name) for name in ("date", "time", "timezone")) and (before or start):
        raw["start_time"] = start
    if changed("timezone") and values["timezone"]:
        raw["timezone"] = values["timezone"]
    for flag in ("auto_record", "waiting_room"):
        if changed(flag):
            raw[flag] = values[flag]
    if changed("custom") and (before is not None or values["custom"]):
        raw["custom_data"] = values["custom"]
    entries = _entries(values["invitees"])[0]
    if entries:
        raw["invited_participants"] = entries
    params = Params(raw)
    return session_input(params), participants(params)


def _entries(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """`invited_participants` of the filled rows, and their names in errors → the form's."""
    entries: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for index, row in enumerate(rows):
        if not any(row[name].strip() for name in ("email", "first_name", "last_name")):
            continue
        entry = {name: row[name] for name in INVITEE_FIELDS if row[name].strip()}
        entry["send_email_invitation"] = row["send"]
        position = len(entries)
        for name in INVITEE_FIELDS:
            for label in (f"[{position}].{name}", f"[{position}][{name}]"):
                names[f"invited_participants{label}"] = f"invitee-{index}-{name}"
        names[f"invited_participants[{position}]"] = f"invitee-{index}-email"
        entries.append(entry)
    return entries, names


def _session_names(values: Values) -> dict[str, str]:
    """The API's field names in errors → the form's (most specific first)."""
    custom = {f"custom_data field {name}": name for name, _ in custom_rows(values)}
    return {
        **custom,
        "custom_data": "custom_data",
        "start_time": "start_time",
        "timezone": "timezone",
        **{name: name for name in ("topic", "duration", "password", "friendly_url")},
    }


def _row(*, send: bool = True) -> dict[str, Any]:
    return {"email": "", "first_name": "", "last_name": "", "role": str(DEFAULT_ROLE), "send": send}
