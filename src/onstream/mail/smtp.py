"""Delivery over SMTP with aiosmtplib (`ONSTREAM_SMTP_HOST` set; see `mail.sender`)."""

from __future__ import annotations

from email.utils import parseaddr

import aiosmtplib

from onstream.config import Settings
from onstream.mail.sender import Outgoing, PermanentFailure, TemporaryFailure


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
