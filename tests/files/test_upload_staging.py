"""Uploads reach the media store before the write transaction, and leave it when refused.

A store whose `put` waits until the test lets it go shows that the database is not locked
meanwhile: another account's write goes through while the upload is still being stored.
The app is built in-process with `create_app(..., media=...)`, the seam for this.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

import httpx
import pytest

from onstream.app import create_app
from onstream.config import Settings
from onstream.media.store import LocalMediaStore
from onstream.storage.database import open_database, transaction
from onstream.users.service import add_account

pytestmark = pytest.mark.anyio
PASSWORD = "staging-pass-1"


class GatedStore(LocalMediaStore):
    """The local store, holding every `put` until `release` is set."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def put(self, chunks: AsyncIterable[bytes]) -> str:
        self.entered.set()
        await self.release.wait()
        return await super().put(chunks)


@pytest.fixture
async def clients(
    migrated_url: str, tmp_path: Path
) -> AsyncIterator[tuple[GatedStore, httpx.AsyncClient]]:
    database = open_database(migrated_url)
    async with transaction(database, write=True) as conn:
        for login in ("uma", "vic"):
            await add_account(conn, login=login, email=f"{login}@example.com", password=PASSWORD)
    store = GatedStore(tmp_path / "media")
    settings = Settings(
        database_url=migrated_url, media_dir=str(tmp_path / "media"), mail_worker=False
    )
    app = create_app(settings, database=database, media=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield store, client
    await database.dispose()


def upload(client: httpx.AsyncClient, **fields: str) -> asyncio.Task[httpx.Response]:
    files = {"file": ("notes.txt", b"x" * 100_000, "text/plain")}
    data = {"is_url": "0", **fields}
    request = client.put(
        "/api/2/uma/file/format/json", data=data, files=files, auth=("uma", PASSWORD)
    )
    return asyncio.ensure_future(request)


async def test_other_writes_go_on_while_an_upload_is_stored(
    clients: tuple[GatedStore, httpx.AsyncClient],
) -> None:
    store, client = clients
    pending = upload(client)
    await asyncio.wait_for(store.entered.wait(), 30)
    session = {"topic": "Meanwhile", "duration": "30", "start_time": "2030-01-01 10:00:00"}
    response = await asyncio.wait_for(
        client.put("/api/2/vic/session/format/json", data=session, auth=("vic", PASSWORD)), 30
    )
    assert response.status_code == 201, response.text
    assert not pending.done()
    store.release.set()
    uploaded = await asyncio.wait_for(pending, 30)
    assert uploaded.status_code == 201, uploaded.text
    assert [p.stat().st_size for p in store.directory.rglob("*") if p.is_file()] == [100_000]


async def test_a_refused_upload_leaves_no_bytes_behind(
    clients: tuple[GatedStore, httpx.AsyncClient],
) -> None:
    store, client = clients
    store.release.set()
    response = await upload(client, file_description="d" * 300)
    assert response.status_code == 400, response.text
    assert "file_description" in response.json()["error"]
    assert [p for p in store.directory.rglob("*") if p.is_file()] == []
