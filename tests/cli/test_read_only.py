"""Read-only commands change nothing: no database created, no migration run, no write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from onstream.storage.migrate import upgrade


def onstream(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONSTREAM_")}
    env["ONSTREAM_DATABASE_URL"] = f"sqlite:///{database}"
    return subprocess.run(
        [sys.executable, "-m", "onstream", *args],
        env=env,
        cwd=database.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_outbox_refuses_a_missing_database_and_creates_none(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = onstream("outbox", database=missing)
    assert result.returncode == 1
    assert result.stderr == f"onstream: there is no database at {missing}\n"
    assert not missing.exists()


def test_outbox_reports_an_old_schema_without_migrating_it(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    upgrade(f"sqlite:///{database}", "0004")
    before = database.read_bytes()
    result = onstream("outbox", database=database)
    assert result.returncode == 1
    assert "schema is not current; run `onstream db upgrade`" in result.stderr
    assert result.stderr.count("\n") == 1
    assert database.read_bytes() == before


def test_outbox_reads_a_current_database(tmp_path: Path) -> None:
    database = tmp_path / "current.db"
    upgrade(f"sqlite:///{database}")
    result = onstream("outbox", database=database)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("pending: 0")
