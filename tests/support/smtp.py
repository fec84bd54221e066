"""A real SMTP server in the test process (aiosmtpd) that keeps every message it accepts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Sink:
    """An aiosmtpd handler that records messages; it can be told to refuse for a while."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[object, str, list[str]]] = []
        """(the client's address and port, MAIL FROM, RCPT TO) of each accepted message."""
        self.refuse_with: str | None = None
        self._lock = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse_with:
            return self.refuse_with
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
            self.envelopes.append((session.peer, envelope.mail_from or "", envelope.rcpt_tos))
            self._lock.notify_all()
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """Every message received for this recipient (the address itself, so that
        `quiet@example.com` is not `past-quiet@example.com`)."""
        with self._lock:
            return [
                m
                for m in self.messages
                if address.lower() in (a.lower() for _, a in getaddresses([str(m["To"])]))
            ]

    def wait_for(
        self, match: Callable[[EmailMessage], bool], *, count: int = 1, timeout: float = 15
    ) -> list[EmailMessage]:
        """Wait until `count` messages match; fail with what did arrive otherwise."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [m for m in self.messages if match(m)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    subjects = [(str(m["To"]), str(m["Subject"])) for m in self.messages]
                    raise AssertionError(f"expected {count} matching messages, got {subjects}")
                self._lock.wait(remaining)


class SmtpServer:
    """aiosmtpd on a loopback port, started and stopped by the tests."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sink = Sink()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def env(self, **extra: Any) -> dict[str, str]:
        """Server settings that deliver to this SMTP server, retrying quickly."""
        return {
            "ONSTREAM_SMTP_HOST": "127.0.0.1",
            "ONSTREAM_SMTP_PORT": str(self.port),
            "ONSTREAM_MAIL_POLL_SECONDS": "0.2",
            "ONSTREAM_MAIL_RETRY_SECONDS": "0.2",
            "ONSTREAM_MAIL_RETRY_MAX_SECONDS": "1",
            **{k: str(v) for k, v in extra.items()},
        }
