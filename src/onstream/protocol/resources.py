"""What a resource handler receives and returns; the protocol layer knows no resource by name.

Each domain exposes handlers `async def handler(call: Call) -> Reply` and the one route table
(`onstream.routes`) maps resource names and HTTP methods to them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from onstream.config import Settings
from onstream.protocol.document import Document
from onstream.protocol.listing import Listed
from onstream.protocol.params import Params
from onstream.storage.connection import Connection
from onstream.storage.unit_of_work import AfterCommit

A = TypeVar("A")
"""The authenticated account, as the application's `Authenticate` returns it."""
S = TypeVar("S")
"""The application's collaborators (`onstream.services.Services`)."""

__all__ = ["AfterCommit", "Call", "Handler", "Intake", "Reply", "Resource", "Staged", "message"]


@dataclass(frozen=True, slots=True)
class Call(Generic[A, S]):
    """One authenticated API call, inside the transaction the request owns.

    Generic in the account and the services, so this layer knows neither: the application
    fixes both (`onstream.services.ApiCall`).
    """

    account: A
    params: Params
    conn: Connection
    settings: Settings
    api_root: str
    """`/api/{ver}/{login}` as the client wrote it, for `Location` headers."""
    services: S
    """Process-wide collaborators a handler may need (the credential cache, the mailer)."""
    format: str = "xml"
    """The name of the format the client asked for; a handler offering a format of its own
    (`Format.own`: ics) renders it into `Reply.body` when asked."""
    after_commit: list[AfterCommit] = field(default_factory=list)
    """Run in order once the request's transaction committed; never when it rolled back."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A handler's answer: a document, its status, and where a created record lives."""

    document: Document
    status: int = 200
    location: str | None = None
    """Path under `api_root` of the created or moved record (`session/id/12`), or an
    absolute path when the record moved out of it (a renamed login)."""
    headers: Mapping[str, str] | None = None
    """More response headers, beside the document."""
    listed: Listed | None = None
    body: bytes | None = None
    """The answer already rendered in the asked format, when that format is one only this
    handler offers (`Format.own`); the document is then not rendered."""
    """For a page of a list: the total and the page, told in `X-Total-Count` and `Link`."""


Handler = Callable[[Call[Any, Any]], Awaitable[Reply]]

P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class Intake(Generic[S]):
    """What a staged handler's first step sees: the request, but no transaction yet."""

    params: Params
    settings: Settings
    services: S
    account: Any = None
    """The authenticated account (the application's type; None where work is staged outside
    the API), for checks that depend on its settings, such as its time zone."""


@dataclass(frozen=True, slots=True)
class Staged(Generic[P]):
    """A handler with work that must not run inside the write transaction.

    `prepare` runs first, outside any transaction (storing an upload in the media store;
    checking a new session's fields, which the write lock need not cover);
    `run` gets its result inside the transaction; `undo` runs when the transaction rolled
    back or `run` raised, so prepared work never outlives a refused request.
    """

    prepare: Callable[[Intake[Any]], Awaitable[P]]
    run: Callable[[Call[Any, Any], P], Awaitable[Reply]]
    undo: Callable[[Intake[Any], P], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource name and the handler for each HTTP method it answers."""

    name: str
    methods: Mapping[str, Handler | Staged[Any]]

    @property
    def allowed(self) -> list[str]:
        """The methods for an `Allow` header, in a stable order."""
        order = ["GET", "PUT", "POST", "DELETE"]
        return [m for m in order if m in self.methods]


def message(text: str, **values: object) -> Document:
    """The small `{id, message}` style document every write answers with."""
    return Document({**values, "message": text})
