"""The collaborators an API handler may use, as one typed object, and the handlers' call type.

`create_app` builds one `Services` per process and the endpoint hands it to every handler in
`Call.services`. Each field is an interface (a `Protocol`), so tests and the bench pass their
own implementations to `create_app` instead of reaching into its routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass(frozen=True, slots=True)
class Ejection:
    """People out of a room and their tokens refused from now on, or the whole room closed
    (everybody disconnected)."""

    room: RoomHandle
    close: bool = False
    participants: list[int] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Recording:
    """The room's publishers recorded from now on, or no longer."""

    room: RoomHandle
    on: bool


@dataclass(frozen=True, slots=True)
class Mute:
    """One stream of one publisher muted (or unmuted) for everybody."""

    room: RoomHandle
    participant: int
    mid: str
    """The stream's m-line: "0" audio, "1" video."""
    mute: bool


RoomChange: TypeAlias = Ejection | Recording | Mute
"""What the media server must do about a change of a room, once the change committed."""


class Rooms(Protocol):
    """The media server's side of the rooms (`meetings.changes.RoomChanges`)."""

    async def apply(self, change: RoomChange) -> bool:
        """Make the media server match a committed change: True when it did; False when it
        could not be reached (logged, and tried again by the room sweeper)."""


@dataclass(frozen=True, slots=True)
class Services:
    """What handlers use beyond their transaction: media, mail, credentials, meeting rooms."""

    media: MediaStore
    mail: MailWaker
    credentials: CredentialForgetter
    rooms: Rooms


ApiCall: TypeAlias = Call[Account, Services]
"""The call every API handler of this application receives."""
