"""The list query walks the live-sessions index: no scan of the table, whatever its size."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite

from onstream.sessions.repository import page_query
from onstream.storage.migrate import upgrade


@pytest.mark.parametrize("block", [None, 977])
@pytest.mark.parametrize("descending", [False, True])
def test_list_query_searches_the_live_sessions_index(
    tmp_path: Path, descending: bool, block: int | None
) -> None:
    path = tmp_path / "plan.db"
    upgrade(f"sqlite:///{path}")
    query = page_query(descending=descending, from_block=block is not None).params(
        owner_id=1, count=100, offset=500, block_start=(block or 0) << 10
    )
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with sqlite3.connect(path) as db:
        plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
    if block is None:
        assert "USING INDEX ix_sessions_live_owner_id_id (owner_id=?)" in plan, plan
    else:
        bound = "id<?" if descending else "id>?"
        assert f"USING INDEX ix_sessions_live_owner_id_id (owner_id=? AND {bound})" in plan, plan
    assert "SCAN" not in plan, plan
    assert "TEMP B-TREE" not in plan, plan
