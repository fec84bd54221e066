"""`INSERT ... ON CONFLICT DO NOTHING` on both databases.

Used where two requests may create the same row at once (the same new e-mail invited to two
sessions in parallel): the loser waits for the winner's commit and then simply finds the
row, instead of failing on the unique constraint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from onstream.storage.database import Connection


async def insert_or_ignore(
    conn: Connection, table: Table, values: dict[str, Any], *, conflict: Sequence[str]
) -> int | None:
    """Insert the row and return its id, or None when a row with the same `conflict`
    columns exists (or was just committed by a concurrent transaction)."""
    dialect = postgresql if conn.dialect_name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(table.c.id)
    )
    row = (await conn.execute(statement)).first()
    return int(row[0]) if row else None
