"""A real Janus (the Debian package) started through `JanusProcess`, one per test session.

Its absence fails the tests instead of skipping them: `scripts/system-deps` installs it.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from onstream.janus import JanusAdmin, JanusProcess, JanusUnavailable

ROOM_NUMBERS = itertools.count(1000)


@pytest.fixture(scope="session")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JanusProcess]:
    """Janus on a free loopback port with a config folder of its own."""
    process = JanusProcess(tmp_path_factory.mktemp("janus"))
    try:
        process.start()
    except JanusUnavailable as exc:
        pytest.fail(f"{exc}\n(scripts/system-deps installs Janus)")
    yield process
    process.stop()


@pytest.fixture
async def admin(janus: JanusProcess) -> AsyncIterator[JanusAdmin]:
    """The server's client of that Janus, with both plugins attached."""
    async with JanusAdmin(janus.url, admin_key=janus.admin_key) as client:
        yield client


@pytest.fixture
def room() -> int:
    """A room number no other test uses."""
    return next(ROOM_NUMBERS)


@pytest.fixture
def secret() -> str:
    """A room secret, as the server makes them."""
    return secrets.token_urlsafe(16)
