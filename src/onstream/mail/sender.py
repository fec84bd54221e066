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
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from onstream.config import Settings

log = logging.getLogger("onstream.mail")


class DeliveryError(Exception):
    """A message could not be handed to the mail system."""


class TemporaryFailure(DeliveryError):
    """Worth another try later."""


class PermanentFailure(DeliveryError):
    """Will fail the same way every time."""


class Sender(Protocol):
    """Hands one message to the mail system, or raises a `DeliveryError`."""

    async def send(self, message: EmailMessage) -> None: ...


class ConsoleSender:
    """Logs each message instead of sending it (no SMTP server configured)."""

    async def send(self, message: EmailMessage) -> None:
        log.info(
            "mail to %s: %s (console sender; set ONSTREAM_SMTP_HOST to deliver)",
            message["To"],
            message["Subject"],
        )


class SmtpSender:
    """Sends over SMTP with optional STARTTLS or implicit TLS and credentials."""

    def __init__(self, settings: Settings, *, timeout: float = 30.0) -> None:
        self._settings = settings
        self._timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        s = self._settings
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_user,
                password=s.smtp_password,
                use_tls=s.smtp_tls == "tls",
                start_tls=s.smtp_tls == "starttls",
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"SMTP {r.code}: {r.message}" for r in exc.recipients)
            if codes and all(500 <= c < 600 for c in codes):
                raise PermanentFailure(text) from exc
            raise TemporaryFailure(text) from exc
        except aiosmtplib.SMTPResponseException as exc:
            text = f"SMTP {exc.code}: {exc.message}"
            if 500 <= exc.code < 600:
                raise PermanentFailure(text) from exc
            raise TemporaryFailure(text) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc


def sender_for(settings: Settings) -> Sender:
    """The sender the configuration asks for."""
    return SmtpSender(settings) if settings.smtp_host else ConsoleSender()
