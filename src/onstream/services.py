"""The collaborators an API handler may use, as one typed object, and the handlers' call type.

`create_app` builds one `Services` per process and the endpoint hands it to every handler in
`Call.services`. Each field is an interface (a `Protocol`), so tests and the bench pass their
own implementations to `create_app` instead of reaching into its routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeAlias

from onstream.accounts import Account
from onstream.media.store import MediaStore
from onstream.protocol.resources import Call


class MailWaker(Protocol):
    """The mail worker, told that the outbox has new messages (after a commit)."""

    def wake(self) -> None:
        """Start a delivery round now instead of at the next poll."""


class CredentialForgetter(Protocol):
    """The verified-credential cache, told that an account's profile or password changed."""

    def forget_account(self, account_id: int) -> None:
        """Drop every cached credential of this account."""


@dataclass(frozen=True, slots=True)
class RoomHandle:
    """What it takes to act on one session's media room: its server, number and secret."""

    server: str
    janus_room: int
    secret: str


class Rooms(Protocol):
    """The media server's side of a room, told about changes once they committed."""

    async def close(self, room: RoomHandle) -> None:
        """Destroy the room: everybody in it is disconnected."""

    async def eject(self, room: RoomHandle, *, participants: list[int], tokens: list[str]) -> None:
        """Remove these participants and refuse these tokens from now on."""


@dataclass(frozen=True, slots=True)
class Services:
    """What handlers use beyond their transaction: media, mail, credentials, meeting rooms."""

    media: MediaStore
    mail: MailWaker
    credentials: CredentialForgetter
    rooms: Rooms


ApiCall: TypeAlias = Call[Account, Services]
"""The call every API handler of this application receives."""
