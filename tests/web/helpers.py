"""Helpers for the web tests: sessions and invitees made through the API, as integrators do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.api import ok, rest


@dataclass(frozen=True)
class Created:
    """A session made through the API, with the links the API hands out for it."""

    id: int
    login: str
    session_link: str
    session_key: str


def login_of(client: httpx.Client) -> str:
    """The account login of a client rooted at `/api/2/{login}/`."""
    return str(client.base_url).rstrip("/").rsplit("/", 1)[-1]


def new_session(client: httpx.Client, **fields: Any) -> Created:
    """PUT a session (10 July 2030 18:00, 45 minutes unless told) and read its links back."""
    body = {"topic": "Planning", "duration": 45, "start_time": "2030-07-10 18:00:00", **fields}
    session_id = int(ok(rest(client, "PUT", "session", body), 201)["id"])
    fields_wanted = "session_link;session_key"
    doc = ok(client.get(f"session/id/{session_id}/return/{fields_wanted}/format/json"))
    (session,) = doc["sessions"]
    return Created(session_id, login_of(client), session["session_link"], session["session_key"])


def invite(client: httpx.Client, session_id: int, **fields: Any) -> tuple[int, str]:
    """PUT an invitee without e-mail; returns the user id and the personal link."""
    body = {
        "session_id": session_id,
        "email": "robin@arsenal.com",
        "first_name": "Robin",
        "last_name": "van Persie",
        "role": 1,
        "send_email_invitation": 0,
        **fields,
    }
    user_id = int(ok(rest(client, "PUT", "invitee", body), 201)["id"])
    groups = ok(client.get(f"invitees/id/{session_id}/format/json"))
    links = [
        i["personal_session_link"] for group in groups.values() for i in group if i["id"] == user_id
    ]
    assert len(links) == 1, groups
    return user_id, links[0]
