"""The meeting room's tables: one room per session, admissions, Janus tokens, recording jobs.

A room's state lives here, not in any process, so several server processes (and restarts)
agree on one Janus room per session: the row is created once (a unique session id) and
Janus's own create is idempotent. `secret` is the Janus room secret: it never leaves the
server. An admission is one person let in (by a personal link, the public page or the
owner's host link); its `secret` is the key of that person's room page. Each render of the
page mints a short-lived Janus token for exactly one join (`room_tokens`), which Janus
checks against the room's allowed list. `removed_at` marks an admission whose person a
moderator removed: their link (the invitation, or the guest's browser) stays refused for
that session until a moderator lets them back in, which clears it. `waiting` marks a guest
of the public link who knocked on the session's waiting room (`sessions.waiting_room`): no
token is minted for them until a moderator admits them (clears it); denying them removes
them as above.

`room_presence` is who was seen in a room, from when until when (one row per stay, `left_at`
null while they are in); `rooms.presence_listed_at` is when Janus's list of the room's
participants was last taken, so an older list read by a slower process is never applied
over a newer one.

`room_viewers` is the Janus server each observer was last placed on to watch (the room's own,
or another one the room's publishers are relayed to, `meetings.cascade`): it counts a
server's viewers when the next one is placed.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from onstream.storage.metadata import metadata

rooms = Table(
    "rooms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("server", String(512), nullable=False),
    Column("janus_room", BigInteger, nullable=False),
    Column("secret", String(64), nullable=False),
    Column("recording", Boolean, nullable=False, server_default=text("false")),
    Column("recorded", Boolean, nullable=False, server_default=text("false")),
    Column("opened_at", DateTime, nullable=False),
    Column("ended_at", DateTime, nullable=True),
    Column("end_reason", String(16), nullable=True),
    Column("presence_listed_at", DateTime, nullable=True),
    UniqueConstraint("session_id"),
)

admissions = Table(
    "admissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("secret", String(64), nullable=False),
    Column("participant", BigInteger, nullable=False),
    Column("role", SmallInteger, nullable=False),
    Column("name", String(255), nullable=False),
    Column("source", String(16), nullable=False),
    Column("invitation_token", String(64), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
    Column("removed_at", DateTime, nullable=True),
    Column("waiting", Boolean, nullable=False, server_default=text("false")),
    Column("on_stage", Boolean, nullable=False, server_default=text("false")),
    UniqueConstraint("secret"),
    UniqueConstraint("session_id", "participant"),
)

room_tokens = Table(
    "room_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token", String(64), nullable=False),
    Column(
        "admission_id", Integer, ForeignKey("admissions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("expires_at", DateTime, nullable=False),
    UniqueConstraint("token"),
)

room_presence = Table(
    "room_presence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column(
        "admission_id", Integer, ForeignKey("admissions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("joined_at", DateTime, nullable=False),
    Column("left_at", DateTime, nullable=True),
    Index("ix_room_presence_session_id_left_at", "session_id", "left_at"),
    Index("ix_room_presence_admission_id", "admission_id"),
)

room_viewers = Table(
    "room_viewers",
    metadata,
    Column(
        "admission_id",
        Integer,
        ForeignKey("admissions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("server", String(255), nullable=False),
    Column("placed_at", DateTime, nullable=False),
    Index("ix_room_viewers_server", "server"),
    Index("ix_room_viewers_session_id", "session_id"),
)

recording_jobs = Table(
    "recording_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("source_dir", String(1024), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("lease_until", DateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("skipped", Text, nullable=True),
    Column("recording_id", Integer, ForeignKey("recordings.id"), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),
    UniqueConstraint("source_dir"),
)
