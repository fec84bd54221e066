"""The application's collaborators, as one typed object, and the API handlers' call type.

`create_app` builds one `Services` per process; the API endpoint hands it to every handler in
`Call.services`, and the account center's pages get it when their routes are made
(`web.account.routes`): the one way code reaches a collaborator, typed (never through
Starlette's untyped application state). The fields are interfaces (a `Protocol`, an abstract class)
where tests and the bench pass their own implementations to `create_app`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, TypeAlias

from onstream.accounts import Account
from onstream.config import Settings
from onstream.media.store import MediaStore
from onstream.protocol.resources import Call
from onstream.storage.connection import Database
from onstream.throttle import Throttle


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


class PasswordChecker(Protocol):
    """Password checks run off the event loop, bounded (`users.password_checks`)."""

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether the password matches the hash; `Busy` when the pool is full."""
        ...

    async def hash(self, password: str) -> str:
        """A new argon2id hash of the password; `Busy` when the pool is full."""
        ...


class Rooms(Protocol):
    """The media server's side of the rooms (`meetings.changes.RoomChanges`)."""

    async def apply(self, change: RoomChange) -> bool:
        """Make the media server match a committed change: True when it did; False when it
        could not be reached (logged, and tried again by the room sweeper)."""


@dataclass(frozen=True, slots=True)
class Services:
    """What code uses beyond its transaction: media, mail, credentials, meeting rooms; and for
    the pages, which own their transactions, the database, the settings and the throttle."""

    media: MediaStore
    mail: MailWaker
    credentials: CredentialForgetter
    rooms: Rooms
    database: Database
    """For whoever owns a transaction (a page); an API handler uses its call's `conn`."""
    settings: Settings
    throttle: Throttle
    """Guesses counted per address and target (the sign-in and settings forms)."""
    password_checks: PasswordChecker
    """The process's one bounded pool of password checks, shared with the API."""


ApiCall: TypeAlias = Call[Account, Services]
"""The call every API handler of this application receives."""
