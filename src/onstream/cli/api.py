"""`onstream api ...`: the API from a shell, through `onstream.client`, for people.

    onstream api sessions list [--format table|json]
    onstream api session create --topic T --start-time "2030-09-10 16:00" --duration 45
    onstream api session get|delete ID ;  onstream api session update ID --duration 60
    onstream api invitees list SESSION ;  onstream api invitee add SESSION EMAIL [--role 1]
    onstream api recordings list ;  onstream api files list
    onstream api file upload PATH ;  onstream api file link URL

The server and the account come from `--url`, `--login`, `--password` or the variables
`ONSTREAM_URL`, `ONSTREAM_LOGIN`, `ONSTREAM_PASSWORD` (prompted for when missing).
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onstream.client import Client

Action = Callable[["Client", argparse.Namespace], object]
SESSION_COLUMNS = ("id", "topic", "start_time", "duration", "timezone", "session_link")
WIDEST = 48
"""Longer values are cut in a table (`--format json` shows them whole)."""


def add_parser(sub: Any) -> None:
    """Register `api` and its subcommands."""
    api = sub.add_parser("api", help="call a server's API as an account")
    api.add_argument("--url", default=os.environ.get("ONSTREAM_URL", "http://127.0.0.1:8000"))
    api.add_argument("--login", default=os.environ.get("ONSTREAM_LOGIN"))
    api.add_argument("--password", default=os.environ.get("ONSTREAM_PASSWORD"))
    api.add_argument("--format", choices=("table", "json"), default="table")
    nouns = api.add_subparsers(dest="noun", required=True, metavar="WHAT")
    _sessions(nouns)
    _invitees(nouns)
    _listing(nouns, "recordings", lambda c, _a: c.recordings())
    _listing(nouns, "files", lambda c, _a: c.files())
    file = nouns.add_parser("file", help="add a file").add_subparsers(dest="verb", required=True)
    upload = _verb(file, "upload", lambda c, a: c.upload_file(a.path, description=a.description))
    upload.add_argument("path")
    upload.add_argument("--description")
    link = _verb(file, "link", lambda c, a: c.add_file_link(a.link, description=a.description))
    link.add_argument("link")
    link.add_argument("--description")


def _sessions(nouns: Any) -> None:
    _listing(nouns, "sessions", lambda c, _a: c.sessions())
    verbs = nouns.add_parser("session", help="one session").add_subparsers(
        dest="verb", required=True
    )
    _verb(verbs, "get", lambda c, a: [c.session(a.id)]).add_argument("id", type=int)
    _verb(verbs, "delete", lambda c, a: c.delete_session(a.id)).add_argument("id", type=int)
    create = _verb(verbs, "create", lambda c, a: c.create_session(**_session_fields(a)))
    update = _verb(verbs, "update", lambda c, a: c.update_session(a.id, **_session_fields(a)))
    update.add_argument("id", type=int)
    for parser in (create, update):
        parser.add_argument("--topic", required=parser is create)
        parser.add_argument("--start-time", required=parser is create, help="YYYY-MM-DD HH:MM")
        parser.add_argument("--duration", type=int, required=parser is create, help="minutes")
        parser.add_argument("--timezone", help="a code such as UP1, or an IANA name")
        parser.add_argument("--passcode", help="the meeting's password")
        parser.add_argument("--friendly-url")
        parser.add_argument("--invite", action="append", default=[], metavar="EMAIL")


def _invitees(nouns: Any) -> None:
    listing = nouns.add_parser("invitees", help="a session's invitees").add_subparsers(
        dest="verb", required=True
    )
    _verb(listing, "list", _invitee_rows).add_argument("session", type=int)
    verbs = nouns.add_parser("invitee", help="invite a person").add_subparsers(
        dest="verb", required=True
    )
    add = _verb(verbs, "add", lambda c, a: c.invite(a.session, a.email, role=a.role))
    add.add_argument("session", type=int)
    add.add_argument("email")
    add.add_argument("--role", type=int, choices=(1, 2, 3), default=2)


def _listing(nouns: Any, name: str, action: Action) -> None:
    verbs = nouns.add_parser(name, help=f"list {name}").add_subparsers(dest="verb", required=True)
    _verb(verbs, "list", action)


def _verb(verbs: Any, name: str, action: Action) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = verbs.add_parser(name)
    parser.set_defaults(run=run, action=action)
    return parser


def _session_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields = {
        "topic": args.topic,
        "start_time": args.start_time,
        "duration": args.duration,
        "timezone": args.timezone,
        "password": args.passcode,
        "friendly_url": args.friendly_url,
    }
    if args.invite:
        fields["invited_participants"] = [{"email": email} for email in args.invite]
    return {k: v for k, v in fields.items() if v is not None}


def _invitee_rows(client: Client, args: argparse.Namespace) -> list[dict[str, Any]]:
    groups = client.invitees(args.session)
    return [
        {"group": group, **dataclasses.asdict(invitee)}
        for group, invitees in groups.items()
        for invitee in invitees
    ]


def run(args: argparse.Namespace) -> int:
    """Call the API and print what it answered; a refusal is one line on stderr."""
    from onstream.client import Client, OnstreamError

    login = args.login or input("Login: ")
    password = args.password if args.password is not None else getpass.getpass("Password: ")
    try:
        with Client(args.url, login, password) as client:
            result = args.action(client, args)
            rows = _rows(result)
            if args.format == "table":
                print(_table(rows, args))
            else:  # a record as an object, a list as an array, even of one
                print(_json(rows[0] if _is_record(result) else rows))
    except OnstreamError as exc:
        print(f"onstream: {exc}", file=sys.stderr)
        return 1
    return 0


def _rows(result: object) -> list[dict[str, Any]]:
    """Rows of what a call returned: one record, or a list or iterator of them."""
    if _is_record(result) or isinstance(result, dict):
        return [_row(result)]
    assert isinstance(result, Iterable)
    return [_row(item) for item in result]


def _is_record(value: object) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _row(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else dataclasses.asdict(value)


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _table(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    if not rows:
        return "(none)"
    columns = _columns(rows, args)
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    lines = [_line(columns, widths), _line(["-" * w for w in widths], widths)]
    lines += [_line(line, widths) for line in cells]
    return "\n".join(lines)


def _columns(rows: list[dict[str, Any]], args: argparse.Namespace) -> Sequence[str]:
    if args.noun in ("sessions", "session") and "topic" in rows[0]:
        return SESSION_COLUMNS
    return [k for k in rows[0] if any(row.get(k) is not None for row in rows)]


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return text if len(text) <= WIDEST else text[: WIDEST - 1] + "…"


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
