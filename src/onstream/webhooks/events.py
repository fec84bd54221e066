"""The event names a webhook may subscribe to, and the signature every delivery carries."""

from __future__ import annotations

import hashlib
import hmac

EVENTS = (
    "session.created",
    "session.updated",
    "session.deleted",
    "invitee.added",
    "invitee.updated",
    "invitee.deleted",
    "invitation.sent",
    "invitation.failed",
    "recording.ready",
    "recording.updated",
    "recording.deleted",
    "file.added",
    "meeting.started",
    "meeting.ended",
    "participant.joined",
    "participant.left",
)

SIGNATURE_HEADER = "Onstream-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`: the time is signed too,
    so a receiver can refuse an old delivery replayed."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"
