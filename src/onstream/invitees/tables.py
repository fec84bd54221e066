"""The `invitations` table: one row per person invited to one session.

`token` is the secret part of the personal link; deleting the row revokes it. `mailed` says
whether an invitation e-mail was queued, so later changes of the session reach exactly the
people who were told about it.
"""

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    text,
)

from onstream.storage.metadata import metadata

invitations = Table(
    "invitations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column(
        "user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("role", SmallInteger, nullable=False),
    Column("token", String(64), nullable=False),
    Column("mailed", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("session_id", "user_id"),
    UniqueConstraint("token"),
)
