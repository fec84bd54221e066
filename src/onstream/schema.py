"""Every table of every domain, gathered so Alembic and tests see the whole schema."""

from onstream.files.tables import files, files_in_sessions
from onstream.invitees.tables import invitations
from onstream.mail.tables import outbox
from onstream.meetings.tables import (
    admissions,
    recording_jobs,
    room_presence,
    room_tokens,
    rooms,
)
from onstream.protocol.idempotency import idempotency_keys
from onstream.recordings.tables import recording_tracks, recordings
from onstream.sessions.tables import session_blocks, sessions
from onstream.storage.metadata import metadata
from onstream.storage.secrets import server_secrets
from onstream.users.tables import (
    account_sessions,
    api_tokens,
    calendar_feeds,
    credential_epoch,
    digest_nonce_counts,
    email_confirmations,
    users,
)
from onstream.webhooks.tables import webhook_deliveries, webhooks

__all__ = [
    "account_sessions",
    "admissions",
    "api_tokens",
    "calendar_feeds",
    "credential_epoch",
    "digest_nonce_counts",
    "email_confirmations",
    "files",
    "files_in_sessions",
    "idempotency_keys",
    "invitations",
    "metadata",
    "outbox",
    "recording_jobs",
    "recording_tracks",
    "recordings",
    "room_presence",
    "room_tokens",
    "rooms",
    "server_secrets",
    "session_blocks",
    "sessions",
    "users",
    "webhook_deliveries",
    "webhooks",
]
