"""The `users` table: accounts and the people each account invites, in one table.

An account has a `login` and a password hash and no `owner_id`; a person invited by an
account has `owner_id` set to that account and no login. Invitee ids in the API are these
user ids, so both kinds share one id space, as in the original service.
"""

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    func,
    text,
)

from onstream.storage.metadata import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("login", String(64), nullable=True, unique=True),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False),
    Column("first_name", String(100), nullable=False, server_default=""),
    Column("last_name", String(100), nullable=False, server_default=""),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("dst", Boolean, nullable=False, server_default=text("false")),
    Column("password_hash", String(255), nullable=True),
    Column("phone_bridge", Boolean, nullable=False, server_default=text("false")),
    Column("email_verified", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("disabled_at", DateTime, nullable=True),
    UniqueConstraint("owner_id", "email_key"),
)
"""`email_key` is the lower-cased e-mail: one person per address within an account.
`email_verified` is meaningful for accounts only: their address was set by the operator or
confirmed through a link mailed to it (CONTRACT §6a); only then does it match invitations."""

Index("ix_users_email_key", users.c.email_key)
"""Finds the people (of every account) that carry an account's address: registered invitees."""

Index("uq_users_login_lower", func.lower(users.c.login), unique=True)
"""Logins are unique without regard to case (`JDoe` cannot join `jdoe`); URLs still match
the login exactly as stored."""

credential_epoch = Table(
    "credential_epoch",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("value", Integer, nullable=False),
)
"""One row whose value rises whenever a password or login changes anywhere.

Every server process polls it about once a second and empties its credential cache when it
moved, so a changed password stops working within a second on every process."""

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("read_only", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime, nullable=True),
    Column("expires_at", DateTime, nullable=True),
    Column("digest_sha256", String(64), nullable=True),
    Column("digest_md5", String(32), nullable=True),
    UniqueConstraint("account_id", "name"),
)
"""API tokens: secrets an account uses as its Basic password instead of its password.

Only the SHA-256 of a token is kept (see `users.tokens`), and for HTTP Digest
H(login:realm:token) in SHA-256 and MD5 (NULL for tokens made before Digest, which then
work with Basic only); revoking one deletes its row."""

digest_nonce_counts = Table(
    "digest_nonce_counts",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("nc", String(8), primary_key=True),
    Column("expires_at", DateTime, nullable=False, index=True),
)
"""Every (nonce, nc) pair a Digest request was accepted with, until the nonce expires: the
primary key refuses a second use on every process (replay). Expired rows are purged."""

account_sessions = Table(
    "account_sessions",
    metadata,
    Column("secret_hash", String(64), primary_key=True),
    Column("account_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Index("ix_account_sessions_account_id", "account_id"),
)
"""Signed-in browsers of the account center (`users.sign_in`): the SHA-256 of each cookie's
secret, never the secret, so a copy of the table opens no account."""

email_confirmations = Table(
    "email_confirmations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime, nullable=True),
    Index("ix_email_confirmations_account_id", "account_id"),
)
"""Links mailed to confirm an account's new address (`users.email_confirmation`).

Only the SHA-256 of a link's token is kept, so a database reader cannot confirm an address.
A row confirms `email` for its account once, before `expires_at`, and only while the account
still has that address; a new address deletes the account's unused rows (the older links
stop working), used rows stay so that a second click is told the link was used."""

calendar_feeds = Table(
    "calendar_feeds",
    metadata,
    Column("account_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
)
"""An account's private calendar feed (`users.calendar_feed`): at most one per account. The
token is kept as is, not hashed, because the account center shows the feed's address again
(as GET session shows personal links); it opens nothing but a read-only calendar."""
