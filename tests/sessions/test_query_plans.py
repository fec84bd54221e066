"""The list query uses the (owner_id, id) index: no full scan, whatever the data size."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite

from onstream.sessions.repository import page_query
from onstream.storage.migrate import upgrade


@pytest.mark.parametrize("descending", [False, True])
def test_list_query_searches_the_owner_index(tmp_path: Path, descending: bool) -> None:
    path = tmp_path / "plan.db"
    upgrade(f"sqlite:///{path}")
    query = page_query(owner_id=1, count=100, offset=500, descending=descending)
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with sqlite3.connect(path) as db:
        plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
    assert "USING INDEX ix_sessions_owner_id_id (owner_id=?)" in plan, plan
    assert "SCAN" not in plan, plan
    assert "TEMP B-TREE" not in plan, plan
