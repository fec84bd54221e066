"""Copy a whole database into an empty one (SQLite → PostgreSQL, or any pair).

Rows keep their ids, so every link, token and outbox state stays valid. The target is
migrated to the same schema first and must hold no data; tables are copied parent-first
in batches, then PostgreSQL's id sequences are moved past the copied ids so new rows do not
collide with them.

The source is read in one transaction, so the copy is one moment of it even while a server
writes: on PostgreSQL at REPEATABLE READ (one snapshot for every statement), on SQLite as
one deferred read transaction (WAL: the snapshot of its first read). `onstream backup` relies
on this for PostgreSQL. Media is not in the database and is not copied here.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import MetaData, Table, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

BATCH = 1000
SEEDED_BY_MIGRATIONS = frozenset({"credential_epoch", "server_secrets"})
"""Tables whose rows the migrations create; the copy replaces them."""


class TargetNotEmpty(Exception):
    """The target database already holds data; copying would mix two databases."""


async def copy_database(
    source: AsyncEngine,
    target: AsyncEngine,
    *,
    metadata: MetaData,
    progress: Callable[[str, int], None],
) -> dict[str, int]:
    """Copy every table of `metadata` (the whole schema, `onstream.schema`); returns the row
    count per table. Target must be migrated already. `progress(table, rows so far)` is
    called after every batch of `BATCH` rows."""
    counts: dict[str, int] = {}
    async with source.connect() as src, target.begin() as dst:
        if src.dialect.name == "postgresql":
            await src.execution_options(isolation_level="REPEATABLE READ")
        await _check_empty(dst, metadata)
        for table in metadata.sorted_tables:
            if table.name in SEEDED_BY_MIGRATIONS:
                await dst.execute(delete(table))
            counts[table.name] = await _copy_table(src, dst, table, progress)
        if dst.dialect.name == "postgresql":
            for table in metadata.sorted_tables:
                await _advance_sequence(dst, table)
    return counts


async def check_empty(target: AsyncEngine, *, metadata: MetaData) -> None:
    """`TargetNotEmpty` when the (migrated) target holds any data: checked before other work
    that must not start on a used database (restoring media)."""
    async with target.connect() as conn:
        await _check_empty(conn, metadata)


async def _check_empty(dst: AsyncConnection, metadata: MetaData) -> None:
    for table in metadata.sorted_tables:
        if table.name in SEEDED_BY_MIGRATIONS:
            continue
        if await dst.scalar(select(func.count()).select_from(table)):
            raise TargetNotEmpty(f"the target database already has rows in '{table.name}'")


async def _copy_table(
    src: AsyncConnection,
    dst: AsyncConnection,
    table: Table,
    progress: Callable[[str, int], None],
) -> int:
    """Copy in batches; `progress` hears the rows copied so far after each (and once for an
    empty table)."""
    copied = 0
    order = list(table.primary_key.columns)
    result = await src.stream(select(table).order_by(*order))
    async for rows in result.partitions(BATCH):
        await dst.execute(insert(table), [dict(row._mapping) for row in rows])
        copied += len(rows)
        progress(table.name, copied)
    if not copied:
        progress(table.name, 0)
    return copied


async def _advance_sequence(dst: AsyncConnection, table: Table) -> None:
    if "id" not in table.c or not table.c.id.autoincrement:
        return
    sequence = await dst.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name})
    if sequence is None:
        return
    highest = await dst.scalar(select(func.max(table.c.id)))
    if highest is not None:
        await dst.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": highest})
