"""How e-mail leaves the server: one small interface, SMTP and console implementations.

Configuration picks the implementation (`ONSTREAM_SMTP_HOST` set → SMTP, else the console
sender that logs each message, so a demo works offline). Senders classify failures so the
worker knows whether to try again:

    DeliveryError
     ├── TemporaryFailure   connection refused, timeouts, 4xx replies: retry later
     └── PermanentFailure   5xx replies (unknown recipient, rejected message): give up now
"""

from __future__ import annotations

import logging
from email.utils import parseaddr
from typing import Protocol

import aiosmtplib

from onstream.config import Settings
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
        log.info(
            "mail to %s: %s (console sender; set ONSTREAM_SMTP_HOST to deliver)",
            mail.recipient,
            mail.subject,
        )

    async def close(self) -> None:
        return None


class SmtpSender:
    """Sends over SMTP with optional STARTTLS or implicit TLS and credentials.

    One connection carries message after message while the worker has work (a handshake,
    TLS and login per message would cost more than the message); the worker closes it when
    it runs out of due messages. A connection the server dropped while idle is replaced
    once, transparently. After any other failure the connection is closed, so the next
    message starts on a clean one."""

    def __init__(self, settings: Settings, *, timeout: float = 30.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self._envelope_from = parseaddr(settings.mail_from)[1]
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, mail: Outgoing) -> None:
        recipient = parseaddr(mail.recipient)[1]
        try:
            try:
                await self._sendmail(recipient, mail.data)
            except aiosmtplib.SMTPServerDisconnected:
                await self.close()
                await self._sendmail(recipient, mail.data)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self.close()
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"SMTP {r.code}: {r.message}" for r in exc.recipients)
            if codes and all(500 <= c < 600 for c in codes):
                raise PermanentFailure(text) from exc
            raise TemporaryFailure(text) from exc
        except aiosmtplib.SMTPResponseException as exc:
            await self.close()
            text = f"SMTP {exc.code}: {exc.message}"
            if 500 <= exc.code < 600:
                raise PermanentFailure(text) from exc
            raise TemporaryFailure(text) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc

    async def _sendmail(self, recipient: str, data: bytes) -> None:
        if self._client is None or not self._client.is_connected:
            s = self._settings
            client = aiosmtplib.SMTP(
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_user,
                password=s.smtp_password,
                use_tls=s.smtp_tls == "tls",
                start_tls=s.smtp_tls == "starttls",
                timeout=self._timeout,
            )
            await client.connect()
            self._client = client
        await self._client.sendmail(self._envelope_from, [recipient], data)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()


def sender_for(settings: Settings) -> Sender:
    """The sender the configuration asks for."""
    return SmtpSender(settings) if settings.smtp_host else ConsoleSender()
