"""The unit of work: after-commit actions run only once the transaction committed, in order,
never after a rollback; a failing action is logged and neither undoes the commit nor stops
the actions after it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from onstream.storage.database import Database, open_database, transaction
from onstream.storage.unit_of_work import unit_of_work

pytestmark = pytest.mark.anyio

NOTES = sa.table("notes", sa.column("text"))


@pytest.fixture
def url(tmp_path: Path, new_database: Callable[[Path], str]) -> str:
    return new_database(tmp_path)  # made outside the test's event loop


@pytest.fixture
async def database(url: str) -> AsyncIterator[Database]:
    database = open_database(url)
    async with transaction(database, write=True) as conn:
        await conn.execute(sa.text("CREATE TABLE notes (text VARCHAR(20))"))
    yield database
    await database.dispose()


async def notes(database: Database) -> list[str]:
    async with transaction(database, write=False) as conn:
        return list(await conn.scalars(sa.select(NOTES.c.text)))


async def test_actions_run_in_order_after_the_commit(database: Database) -> None:
    seen: list[tuple[str, list[str]]] = []

    async def told() -> None:  # an action sees the committed row
        seen.append(("told", await notes(database)))

    async with unit_of_work(database, write=True) as work:
        await work.conn.execute(sa.insert(NOTES).values(text="written"))
        work.after_commit(told)
        work.after_commit(lambda: seen.append(("woken", [])))
        assert seen == [], "nothing runs before the commit"
    assert seen == [("told", ["written"]), ("woken", [])]


async def test_a_rollback_runs_no_action(database: Database) -> None:
    ran: list[str] = []

    async def refused() -> None:
        async with unit_of_work(database, write=True) as work:
            await work.conn.execute(sa.insert(NOTES).values(text="doomed"))
            work.after_commit(lambda: ran.append("woken"))
            raise LookupError("refused")

    with pytest.raises(LookupError):
        await refused()
    assert ran == []
    assert await notes(database) == []


async def test_a_failing_action_is_logged_and_keeps_the_commit(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    async def broken() -> None:
        raise ConnectionError("Janus is down")

    with caplog.at_level(logging.ERROR, logger="onstream"):
        async with unit_of_work(database, write=True) as work:
            await work.conn.execute(sa.insert(NOTES).values(text="kept"))
            work.after_commit(broken)
            work.after_commit(lambda: ran.append("woken"))
    assert await notes(database) == ["kept"]
    assert ran == ["woken"], "the actions after a failing one still run"
    failures = [r for r in caplog.records if r.getMessage() == "after-commit work failed"]
    assert failures
    assert failures[0].exc_info is not None
    assert "Janus is down" in str(failures[0].exc_info[1])


async def test_an_action_added_twice_runs_once(database: Database) -> None:
    woken: list[int] = []

    class Worker:
        def wake(self) -> None:
            woken.append(1)

    worker = Worker()
    async with unit_of_work(database, write=True) as work:
        work.after_commit(worker.wake)
        work.after_commit(worker.wake)
    assert woken == [1]
