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
class Services:
    """What handlers use beyond their transaction: the media store, mail, the credential cache."""

    media: MediaStore
    mail: MailWaker
    credentials: CredentialForgetter


ApiCall: TypeAlias = Call[Account, Services]
"""The call every API handler of this application receives."""
