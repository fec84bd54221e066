"""The order pytest-xdist hands out the test files in: the longest first (tests/conftest.py)."""

from __future__ import annotations

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
