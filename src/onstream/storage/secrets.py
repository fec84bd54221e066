"""Server-wide secrets kept in the database, so every process and every host shares them.

The playback pages sign their cookies with a key. An operator may set one
(`ONSTREAM_SECRET_KEY`); otherwise migration 0004 generates a random one into this table,
once, in the same transaction that creates the schema. Keeping it in the database rather
than in a file means a second worker process or a second host behind a load balancer
accepts the cookies the first one set, and a backup of the database carries it along.
"""

from __future__ import annotations

from sqlalchemy import Column, String, Table, select

from onstream.storage.database import Connection
from onstream.storage.metadata import metadata

PLAYBACK_KEY = "playback_cookie_key"
DIGEST_NONCE_KEY = "digest_nonce_key"
"""Signs HTTP Digest nonces (migration 0009), so that any process accepts another's."""

server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
)


async def read_secret(conn: Connection, name: str) -> str:
    """The named secret; the migrations create every one the server uses."""
    query = select(server_secrets.c.value).where(server_secrets.c.name == name)
    return str((await conn.execute(query)).scalar_one())
