"""Every table of every domain, gathered so Alembic and tests see the whole schema."""

from onstream.invitees.tables import invitations
from onstream.mail.tables import outbox
from onstream.sessions.tables import sessions
from onstream.storage.metadata import metadata
from onstream.users.tables import credential_epoch, users

__all__ = ["credential_epoch", "invitations", "metadata", "outbox", "sessions", "users"]
