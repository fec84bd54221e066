"""The order pytest-xdist hands out the test files in (the longest first), and which tests the
PostgreSQL pass leaves to the SQLite pass (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LONGEST_FIRST

ROOT = Path(__file__).resolve().parent.parent


def test_every_file_named_longest_first_exists() -> None:
    missing = [path for path in LONGEST_FIRST if not (ROOT / path).is_file()]
    assert missing == [], f"renamed or removed, update LONGEST_FIRST: {missing}"


def test_the_session_starts_with_the_longest_files(request: pytest.FixtureRequest) -> None:
    files = list(dict.fromkeys(i.nodeid.split("::")[0] for i in request.session.items))
    named = [path for path in files if path in LONGEST_FIRST]
    assert files[: len(named)] == named  # the named ones come first ...
    assert named == [path for path in LONGEST_FIRST if path in named]  # ... in their order


def collected_on_postgresql(*files: str) -> set[str]:
    """The files whose tests the PostgreSQL pass would run, of those given (collected only:
    nothing connects to the server named)."""
    env = {**os.environ, "ONSTREAM_TEST_POSTGRES": "postgresql://nobody@127.0.0.1:9"}
    argv = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0"]
    argv += ["-p", "no:cacheprovider", *files]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}


def test_the_postgresql_pass_leaves_browsers_and_any_database_modules_to_sqlite() -> None:
    kept = "tests/web/account/test_sessions.py"  # its `browser` is an HTTP client
    chromium = "tests/web/account/test_zone_browser.py"
    marked = "tests/server/test_read_deadlines.py"  # any_database
    assert collected_on_postgresql(kept, chromium, marked) == {kept}
