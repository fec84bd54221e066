"""Which tests have coverage follow the processes they start.

Coverage measures every Python process a test starts (pyproject.toml, `patch =
["subprocess"]`) through one environment variable each child inherits. A measured child costs
a second and more of CPU that an unmeasured one does not (coverage's own start-up, and every
import of the server traced), and the suite starts hundreds of them: measured in the SQLite
pass, that was a third of its CPU. Most of those children are a real server a test talks to,
whose code the in-process application runs in other tests anyway. So children are measured
only where they are what the test is about: the commands (`tests/cli`), the runtime
(`tests/server`, `tests/test_packaging.py`) and the meeting rooms with real media (marker
`media`: the room's engine runs in its server process).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

VARIABLE = "COVERAGE_PROCESS_CONFIG"
"""What coverage puts in the environment for its children (coverage.patch)."""

MEASURED = ("tests/cli/", "tests/server/", "tests/test_packaging.py")
"""The test files whose children are measured, from the project's root."""

_saved = pytest.StashKey[str]()


def measures_children(item: pytest.Item) -> bool:
    """Whether `item`'s children are measured."""
    path = item.nodeid.split("::", 1)[0]
    return path.startswith(MEASURED) or item.get_closest_marker("media") is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Set or clear the variable for the whole test (set-up and tear-down included: a module's
    server starts in its first test's set-up)."""
    stash = item.config.stash
    if VARIABLE in os.environ:
        stash[_saved] = os.environ.pop(VARIABLE)
    if _saved in stash and measures_children(item):
        os.environ[VARIABLE] = stash[_saved]
    try:
        return (yield)
    finally:
        os.environ.pop(VARIABLE, None)
