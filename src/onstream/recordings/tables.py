"""The `recordings` table.

A recording belongs to the session it was made in; `owner_id` is that session's owner,
copied so that listing an account's recordings walks the (owner_id, id) index alone.
The media itself lives in the media store under `media_key` (null: no media). A deleted
recording keeps its row with `deleted_at` set, so the API can answer 410, and loses its media.

`recording_tracks` are the recording's tracks as Janus recorded them, each its own file
(remuxed, never re-encoded), placed on the meeting's timeline: `offset_ms` from the
recording's start, `participant` the tile it plays in. They exist from the moment the
recording is playable; the recording's own `media_key` (the one composed file for
download) follows once the background encode is done.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from onstream.storage.metadata import metadata

recordings = Table(
    "recordings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(255), nullable=False),
    Column("description", Text, nullable=True),
    Column("password", String(255), nullable=True),
    Column("duration_ms", BigInteger, nullable=False),
    Column("allow_anonymous_playback", Boolean, nullable=False, server_default=text("false")),
    Column("media_key", String(64), nullable=True),
    Column("media_type", String(255), nullable=True),
    Column("media_size", BigInteger, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("deleted_at", DateTime, nullable=True),
    UniqueConstraint("media_key"),
    Index("ix_recordings_owner_id_id", "owner_id", "id"),
    Index("ix_recordings_session_id_id", "session_id", "id"),
)

recording_tracks = Table(
    "recording_tracks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "recording_id", Integer, ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False
    ),
    Column("participant", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("offset_ms", BigInteger, nullable=False),
    Column("duration_ms", BigInteger, nullable=False),
    Column("media_key", String(64), nullable=False),
    Column("media_type", String(255), nullable=False),
    Column("media_size", BigInteger, nullable=False),
    UniqueConstraint("media_key"),
    Index("ix_recording_tracks_recording_id", "recording_id"),
)
