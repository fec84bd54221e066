"""A misconfiguration or a database that cannot be used is one line on stderr and a non-zero
exit, never a traceback; read-only commands never create a database at a mistyped path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.server import free_port


def onstream(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ONSTREAM_")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "onstream", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single error line, after checking the exit status and the absence of anything else."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("onstream: ")
    return lines[0]


def unreachable_postgres() -> str:
    return f"postgresql://postgres:hunter2@127.0.0.1:{free_port()}/onstream"


@pytest.mark.parametrize("command", [("db", "upgrade"), ("serve",), ("worker",), ("outbox",)])
def test_a_bad_log_level(tmp_path: Path, command: tuple[str, ...]) -> None:
    line = one_line(onstream(*command, cwd=tmp_path, env={"ONSTREAM_LOG_LEVEL": "loud"}))
    assert line == (
        "onstream: ONSTREAM_LOG_LEVEL must be one of debug, info, warning, error, critical, "
        "not 'loud'"
    )


def test_a_bad_log_format(tmp_path: Path) -> None:
    line = one_line(onstream("serve", cwd=tmp_path, env={"ONSTREAM_LOG_FORMAT": "xml"}))
    assert line == "onstream: ONSTREAM_LOG_FORMAT must be text or json, not 'xml'"


@pytest.mark.parametrize("command", [("db", "upgrade"), ("serve",), ("user", "list")])
def test_a_mysql_url_is_refused_without_echoing_its_password(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    env = {"ONSTREAM_DATABASE_URL": "mysql://root:hunter2@db.example.com/onstream"}
    line = one_line(onstream(*command, cwd=tmp_path, env=env))
    assert line == (
        "onstream: ONSTREAM_DATABASE_URL must be sqlite:///PATH or "
        "postgresql://USER@HOST/DATABASE, not 'mysql'"
    )


@pytest.mark.parametrize(
    "command",
    [("db", "upgrade"), ("serve",), ("serve", "--workers", "2"), ("worker",), ("outbox",)],
)
def test_an_unreachable_postgresql(tmp_path: Path, command: tuple[str, ...]) -> None:
    url = unreachable_postgres()
    line = one_line(onstream(*command, cwd=tmp_path, env={"ONSTREAM_DATABASE_URL": url}))
    shown = url.replace("hunter2", "***")
    assert line.startswith(f"onstream: cannot reach the database at {shown}: ")
    assert "hunter2" not in line


def test_a_missing_postgresql_database(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/onstream_no_such_database"
    line = one_line(onstream("outbox", cwd=tmp_path, env={"ONSTREAM_DATABASE_URL": url}))
    assert line == (
        f"onstream: cannot use the database at {url}: "
        'database "onstream_no_such_database" does not exist'
    )


@pytest.mark.parametrize("command", [("db", "upgrade"), ("serve",), ("user", "passwd", "x")])
def test_an_unwritable_sqlite_path(tmp_path: Path, command: tuple[str, ...]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder should be")
    path = blocker / "onstream.db"
    env = {"ONSTREAM_DATABASE_URL": f"sqlite:///{path}"}
    line = one_line(
        onstream(*command, "--password", "p" * 12, cwd=tmp_path, env=env)
        if command[0] == "user"
        else onstream(*command, cwd=tmp_path, env=env)
    )
    assert line == f"onstream: cannot open the SQLite database {path}: unable to open database file"


def test_db_copy_to_something_that_is_not_a_database_url(tmp_path: Path) -> None:
    env = {"ONSTREAM_DATABASE_URL": f"sqlite:///{tmp_path / 'source.db'}"}
    assert onstream("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    line = one_line(onstream("db", "copy", "--to", "foo", cwd=tmp_path, env=env))
    assert line == (
        "onstream: --to must be sqlite:///PATH or postgresql://USER@HOST/DATABASE, not 'foo'"
    )
    line = one_line(onstream("db", "copy", "--to", unreachable_postgres(), cwd=tmp_path, env=env))
    assert line.startswith("onstream: cannot reach the database at postgresql://postgres:***@")


@pytest.mark.parametrize(
    "command",
    [
        ("outbox",),
        ("token", "list", "alice"),
        ("recording", "jobs"),
        ("user", "list"),
        ("db", "copy", "--to", "sqlite:///target.db"),
    ],
)
def test_read_only_commands_never_create_a_database_at_a_typo(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    typo = tmp_path / "onstraem.db"
    line = one_line(
        onstream(*command, cwd=tmp_path, env={"ONSTREAM_DATABASE_URL": f"sqlite:///{typo}"})
    )
    assert line == f"onstream: there is no database at {typo}"
    assert sorted(p.name for p in tmp_path.iterdir()) == []
