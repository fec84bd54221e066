"""The sender the configuration asks for: SMTP when `ONSTREAM_SMTP_HOST` is set, else the
console sender (a demo works offline). aiosmtplib is imported only for SMTP."""

from __future__ import annotations

from onstream.config import Settings
from onstream.mail.sender import ConsoleSender, Sender


def sender_for(settings: Settings) -> Sender:
    """The sender the configuration asks for."""
    if not settings.smtp_host:
        return ConsoleSender()
    from onstream.mail.smtp import SmtpSender

    return SmtpSender(settings)
