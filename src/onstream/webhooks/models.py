"""Webhooks as the service sees them: what PUT and POST webhook ask to set.

Plain values only (no database, no HTTP), so the routes and the tests build the same input.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WebhookInput:
    """What PUT and POST webhook may set; None leaves a field as it is (POST)."""

    url: str | None = None
    events: str | None = None
    active: bool | None = None
