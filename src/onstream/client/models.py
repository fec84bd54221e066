"""Typed results: one dataclass per document item. Fields the server did not send (a
`return` selection) are None; fields a newer server adds are ignored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

T = TypeVar("T")


def from_document(kind: type[T], item: Mapping[str, Any]) -> T:
    """An instance of the dataclass `kind` from one document item."""
    names = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    return kind(**{k: v for k, v in item.items() if k in names})


@dataclass(frozen=True, slots=True)
class Message:
    """What a write answers: the record's id, the server's message, and where it lives."""

    id: int | None = None
    message: str = ""
    location: str | None = None
    warning: str | None = None
    """`Onstream-Warning`: parameters the server ignored."""


@dataclass(frozen=True, slots=True)
class Session:
    id: int | None = None
    topic: str | None = None
    start_time: str | None = None
    duration: int | None = None
    timezone: str | None = None
    password: str | None = None
    friendly_url: str | None = None
    session_key: str | None = None
    session_access_code: int | str | None = None
    session_link: str | None = None
    custom_data: dict[str, str] | None = None
    start_time_utc: str | None = None
    end_time_utc: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    role: int | None = None
    """Only in sessions the account is a registered invitee of (`sessions(invited=True)`)."""
    personal_session_link: str | None = None
    """Only in sessions the account is a registered invitee of: its own link."""


@dataclass(frozen=True, slots=True)
class Invitee:
    id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    role: int | None = None
    personal_session_link: str | None = None


@dataclass(frozen=True, slots=True)
class Recording:
    id: int | None = None
    session_id: int | None = None
    title: str | None = None
    description: str | None = None
    password: str | None = None
    duration: int | None = None
    allow_anonymous_playback: bool | None = None
    recording_link: str | None = None
    creation_date: str | None = None


@dataclass(frozen=True, slots=True)
class File:
    id: int | None = None
    file_link: str | None = None
    is_url: bool | None = None
    dir_id: int | None = None
    file_description: str | None = None
    created_at: str | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: int | None = None
    login: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    timezone: str | None = None
    dst: bool | None = None
    email_verified: bool | None = None
    """The account's address matches invitations (operator's, or confirmed by its link)."""
