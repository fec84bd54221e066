"""How e-mail leaves the server: one small interface, SMTP (`mail.smtp`) and console
implementations; `mail.selection` picks one.

Configuration picks the implementation (`ONSTREAM_SMTP_HOST` set → SMTP, else the console
sender that logs each message, so a demo works offline). Senders classify failures so the
worker knows whether to try again:

    DeliveryError
     ├── TemporaryFailure   connection refused, timeouts, 4xx replies: retry later
     └── PermanentFailure   5xx replies (unknown recipient, rejected message): give up now
"""

from __future__ import annotations

import logging
from typing import Protocol

from onstream.mail.statuses import LOGGED

log = logging.getLogger("onstream.mail")


class DeliveryError(Exception):
    """A message could not be handed to the mail system."""


class TemporaryFailure(DeliveryError):
    """Worth another try later."""


class PermanentFailure(DeliveryError):
    """Will fail the same way every time."""


class Outgoing(Protocol):
    """A message as the outbox hands it over."""

    @property
    def recipient(self) -> str:
        """The To header: `Name <address>`."""

    @property
    def subject(self) -> str: ...

    @property
    def data(self) -> bytes:
        """The whole message as it goes over SMTP."""


class Sender(Protocol):
    """Hands one message to the mail system, or raises a `DeliveryError`."""

    async def send(self, mail: Outgoing) -> None: ...

    async def close(self) -> None:
        """Let go of any connection (the worker is idle or stopping)."""


class ConsoleSender:
    """Logs each message instead of sending it (no SMTP server configured)."""

    records_as = LOGGED
    """The outbox status of a message this sender took (the worker reads it; a sender
    without it delivers, and its messages are `sent`)."""

    async def send(self, mail: Outgoing) -> None:
        number = getattr(mail, "id", None)  # the outbox row, when the worker hands one over
        log.info(
            "mail to %s: %s (not sent: no ONSTREAM_SMTP_HOST; kept, read it with "
            "`onstream outbox show %s`)",
            mail.recipient,
            mail.subject,
            number if number is not None else "ID",
        )

    async def close(self) -> None:
        return None
