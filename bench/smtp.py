"""G6: an SMTP sink (aiosmtpd, in a thread of the bench process) that counts deliveries.

It keeps only what the figure needs: how many messages each recipient got, and when the
first and the last arrived. Nothing is parsed, so the sink is never the bottleneck.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class CountingSink:
    """An aiosmtpd handler: one count per recipient of every accepted message."""

    def __init__(self) -> None:
        self.per_recipient: Counter[str] = Counter()
        self.messages = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        now = time.monotonic()
        with self._lock:
            self.messages += 1
            self.per_recipient.update(str(r).lower() for r in envelope.rcpt_tos)
            self.first_at = self.first_at or now
            self.last_at = now
        return "250 OK"

    def reset(self) -> None:
        with self._lock:
            self.per_recipient.clear()
            self.messages = 0
            self.first_at = self.last_at = None

    def snapshot(self) -> tuple[int, Counter[str], float | None]:
        """(messages, count per recipient, time of the last one)."""
        with self._lock:
            return self.messages, Counter(self.per_recipient), self.last_at


class SmtpSink:
    """aiosmtpd on a loopback port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sink = CountingSink()
        self._controller: Controller | None = None

    def start(self) -> SmtpSink:
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def env(self) -> dict[str, str]:
        """Server settings that deliver here (the worker is woken on commit; poll as shipped)."""
        return {"ONSTREAM_SMTP_HOST": "127.0.0.1", "ONSTREAM_SMTP_PORT": str(self.port)}
