"""`onstream backup` and `onstream restore`: the database and every media blob, one archive.

The database part is always one SQLite file, whatever the installation runs on:

- SQLite: the online backup API (`sqlite3.Connection.backup`), a page-exact copy of one
  moment while the server keeps serving;
- PostgreSQL: `storage.copy` (the code of `onstream db copy`) into a new SQLite file, read in
  one REPEATABLE READ transaction, so one moment as well.

`pg_dump` was the other choice for PostgreSQL. It needs a client of the server's major
version on the machine that takes the backup, and its output restores only into PostgreSQL
(by `psql`/`pg_restore`, another client). The SQLite snapshot needs nothing beyond this
package, restores into either database (a backup of a PostgreSQL installation can be
restored into SQLite, and back), and restoring is `db copy`'s tested path, ids and sequences
included. Its price: the copy goes row by row, slower than `pg_dump` for a large database.

Media is read after the snapshot. A blob deleted between the two (a user deleting a file
while the backup runs) is left out, and the backup says how many were.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import anyio

from onstream.backup.archive import (
    DATABASE,
    MANIFEST,
    MEDIA_PREFIX,
    ArchiveWriter,
    BackupError,
    OpenedArchive,
    manifest,
    open_archive,
)
from onstream.media.store import CHUNK_BYTES, MediaStore
from onstream.media.transfer import megabytes
from onstream.schema import metadata
from onstream.storage.copy import TargetNotEmpty, check_empty, copy_database
from onstream.storage.database import create_async_engine_for, is_sqlite, sqlite_path
from onstream.storage.migrate import head_revision, upgrade

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

Say = Callable[[str], None]
"""Where progress lines go (stderr, for the command)."""


@dataclass(frozen=True, slots=True)
class Summary:
    """What a backup or restore moved."""

    rows: int
    tables: int
    media: int
    media_bytes: int
    left_out: int = 0


async def take_backup(*, database_url: str, store: MediaStore, archive: Path, say: Say) -> Summary:
    """Write the archive to `archive` (through a `.partial` file renamed at the end, so a
    failed backup never leaves a half archive under the name)."""
    if is_sqlite(database_url) and not await anyio.Path(sqlite_path(database_url)).is_file():
        raise BackupError(f"there is no database at {sqlite_path(database_url)}")
    if not await anyio.Path(archive.parent).is_dir():
        raise BackupError(f"cannot write {archive}: there is no directory {archive.parent}")
    await store.check()
    await anyio.to_thread.run_sync(upgrade, database_url)
    partial = archive.with_name(archive.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="onstream-backup-") as scratch:
        snapshot = Path(scratch) / DATABASE
        await _snapshot(database_url, snapshot, say)
        rows = _row_counts(snapshot)
        say(f"database: {sum(rows.values())} rows in {len(rows)} tables")
        sizes, left_out = await _media_sizes(store)
        try:
            with partial.open("wb") as out:
                await _write(out, snapshot, store, sizes, database_url, say)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    partial.replace(archive)
    return Summary(
        rows=sum(rows.values()),
        tables=len(rows),
        media=len(sizes),
        media_bytes=sum(sizes.values()),
        left_out=left_out,
    )


async def _snapshot(database_url: str, snapshot: Path, say: Say) -> None:
    if is_sqlite(database_url):
        say("database: SQLite online backup")
        await anyio.to_thread.run_sync(_sqlite_backup, Path(sqlite_path(database_url)), snapshot)
        return
    say("database: copying PostgreSQL in one REPEATABLE READ transaction")
    target_url = f"sqlite:///{snapshot}"
    await anyio.to_thread.run_sync(upgrade, target_url)
    source, target = create_async_engine_for(database_url), create_async_engine_for(target_url)
    try:
        await copy_database(source, target, metadata=metadata, progress=_table_progress(say))
    finally:
        await source.dispose()
        await target.dispose()


def _sqlite_backup(source: Path, snapshot: Path) -> None:
    with (
        closing(sqlite3.connect(source.absolute().as_uri() + "?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(snapshot)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one file, readable without its -wal


def _row_counts(snapshot: Path) -> dict[str, int]:
    with closing(sqlite3.connect(snapshot)) as db:
        return {
            table.name: int(db.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0])  # noqa: S608  # names from our own schema
            for table in metadata.sorted_tables
        }


async def _media_sizes(store: MediaStore) -> tuple[dict[str, int], int]:
    sizes: dict[str, int] = {}
    left_out = 0
    async for key in store.list_keys():
        size = await store.size(key)
        if size is None:
            left_out += 1  # deleted since it was listed
        else:
            sizes[key] = size
    return dict(sorted(sizes.items())), left_out


async def _write(
    out: IO[bytes],
    snapshot: Path,
    store: MediaStore,
    sizes: dict[str, int],
    database_url: str,
    say: Say,
) -> None:
    writer = ArchiveWriter(out)
    source = "sqlite" if is_sqlite(database_url) else "postgresql"
    writer.add_bytes(
        MANIFEST,
        manifest(
            revision=head_revision(),
            source=source,
            media=len(sizes),
            media_bytes=sum(sizes.values()),
        ),
    )
    writer.add_file(DATABASE, snapshot)
    written = 0
    for done, (key, size) in enumerate(sizes.items(), start=1):
        await writer.add_stream(MEDIA_PREFIX + key, size, store.open_range(key, start=0, end=size))
        written += size
        say(f"media: {done}/{len(sizes)} objects, {megabytes(written)}")
    writer.close()


async def restore(
    *, database_url: str, store: MediaStore, archive: Path, store_name: str, say: Say
) -> Summary:
    """Restore into an empty installation: the archive is checked whole, then the database
    and the media store are checked empty, before anything is written. Media goes first;
    if the database copy then fails, the restored media is removed again, so a restore
    either completes or leaves the installation as empty as it found it."""
    opened = open_archive(archive)
    try:
        with tempfile.TemporaryDirectory(prefix="onstream-restore-") as scratch:
            snapshot = Path(scratch) / DATABASE
            _extract(opened.read(opened.database), snapshot)
            await _migrate_snapshot(snapshot, archive)
            await store.check()
            await anyio.to_thread.run_sync(upgrade, database_url)
            target = create_async_engine_for(database_url)
            try:
                await _refuse_used(target, store, store_name)
                keys = await _restore_media(opened, store, say)
                source = create_async_engine_for(f"sqlite:///{snapshot}")
                try:
                    counts = await copy_database(
                        source, target, metadata=metadata, progress=_table_progress(say)
                    )
                except BaseException:
                    with anyio.CancelScope(shield=True):
                        for key in keys:
                            await store.delete(key)
                    raise
                finally:
                    await source.dispose()
            finally:
                await target.dispose()
    finally:
        opened.tar.close()
    return Summary(
        rows=sum(counts.values()),
        tables=len(counts),
        media=len(keys),
        media_bytes=opened.media_bytes,
    )


def _extract(handle: IO[bytes], snapshot: Path) -> None:
    with snapshot.open("wb") as out:
        while chunk := handle.read(1024 * 1024):
            out.write(chunk)


async def _migrate_snapshot(snapshot: Path, archive: Path) -> None:
    """Bring an older backup's schema up to this version's; refuse a newer one."""
    try:
        with closing(sqlite3.connect(snapshot.as_uri() + "?mode=ro", uri=True)) as db:
            revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{archive} holds no readable database: {exc}") from exc
    try:
        await anyio.to_thread.run_sync(upgrade, f"sqlite:///{snapshot}")
    except Exception as exc:  # Alembic names an unknown revision many ways
        raise BackupError(
            f"{archive} was made by another version of Onstream (schema "
            f"{revision[0] if revision else 'unknown'}) that this one cannot read"
        ) from exc


async def _refuse_used(target: AsyncEngine, store: MediaStore, store_name: str) -> None:
    try:
        await check_empty(target, metadata=metadata)
    except TargetNotEmpty as exc:
        raise BackupError(f"restore needs an empty installation: {exc}") from exc
    async for _key in store.list_keys():
        raise BackupError(
            f"restore needs an empty installation: the media store {store_name} already holds media"
        )


async def _restore_media(opened: OpenedArchive, store: MediaStore, say: Say) -> list[str]:
    keys: list[str] = []
    written = 0
    try:
        for done, member in enumerate(opened.media, start=1):
            key = opened.key_of(member)
            await store.put_as(key, _chunks(opened.read(member)))
            keys.append(key)
            written += member.size
            say(f"media: {done}/{len(opened.media)} objects, {megabytes(written)}")
    except BaseException:
        with anyio.CancelScope(shield=True):
            for key in keys:
                await store.delete(key)
        raise
    return keys


async def _chunks(handle: IO[bytes]) -> AsyncIterator[bytes]:
    while chunk := handle.read(CHUNK_BYTES * 4):
        yield chunk


def _table_progress(say: Say) -> Callable[[str, int], None]:
    return lambda table, rows: say(f"  {table}: {rows} rows")
