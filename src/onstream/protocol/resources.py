"""What a resource handler receives and returns; the protocol layer knows no resource by name.

Each domain exposes handlers `async def handler(call: Call) -> Reply` and the one route table
(`onstream.routes`) maps resource names and HTTP methods to them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from onstream.config import Settings
from onstream.protocol.document import Document
from onstream.protocol.params import Params
from onstream.storage.database import Connection
from onstream.users.models import Account


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated API call, inside the transaction the request owns."""

    account: Account
    params: Params
    conn: Connection
    settings: Settings
    api_root: str
    """`/api/{ver}/{login}` as the client wrote it, for `Location` headers."""
    services: Mapping[str, object] = field(default_factory=dict)
    """Process-wide collaborators a handler may need (the credential cache, the mailer)."""
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    """Run once the request's transaction committed (e.g. wake the mail worker)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A handler's answer: a document, its status, and where a created record lives."""

    document: Document
    status: int = 200
    location: str | None = None
    """Path under `api_root` of the created or moved record (`session/id/12`), or an
    absolute path when the record moved out of it (a renamed login)."""


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource name and the handler for each HTTP method it answers."""

    name: str
    methods: Mapping[str, Handler]

    @property
    def allowed(self) -> list[str]:
        """The methods for an `Allow` header, in a stable order."""
        order = ["GET", "PUT", "POST", "DELETE"]
        return [m for m in order if m in self.methods]


def message(text: str, **values: object) -> Document:
    """The small `{id, message}` style document every write answers with."""
    return Document({**values, "message": text})
