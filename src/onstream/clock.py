"""The server's clock, in one place so every timestamp is naive UTC and tests can pin it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time as naive UTC, the form every table stores, to the second."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def utcnow_exact() -> datetime:
    """The current time as naive UTC to the microsecond: for ordering observations made
    within one second (which of two processes' looks at a room is the newer)."""
    return datetime.now(UTC).replace(tzinfo=None)
