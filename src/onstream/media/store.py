"""Where media bytes live: one small interface, a local directory and S3-compatible storage.

Recordings' media and uploaded files are blobs the database refers to by a key that the store
makes up. The interface is the things an object store does, so the local directory
(`LocalMediaStore`, the default) and a bucket (`media.s3.S3MediaStore`) serve the same
callers:

    put         PutObject (a multipart upload for big files)
    size        HeadObject (None: no such object)
    open_range  GetObject with a `Range: bytes=start-(end-1)` header
    delete      DeleteObject
    list_keys   ListObjectsV2 (moving or backing up every blob: `media copy`, `backup`)
    put_as      PutObject under a key another store made (the same moves, keys kept)
    check       HeadBucket (a missing bucket or refused credentials, said before serving)

Keys are 32 characters of `[A-Za-z0-9_-]` from the OS's random source (192 bits): nobody can
guess one, and the local store refuses any other shape, so a key can never name a path
outside its directory.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio

from onstream.errors import DomainError
from onstream.media import content_types

CHUNK_BYTES = 64 * 1024
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")


class MediaMissing(Exception):
    """No blob is stored under this key (never stored, deleted, or not a key at all)."""


class MediaUnavailable(DomainError):
    """The store cannot be used at all: a malformed `ONSTREAM_MEDIA_URL`, a missing bucket,
    refused credentials, an endpoint that does not answer. The message is one line an
    operator can act on; the command line prints it instead of a traceback."""


@dataclass(frozen=True, slots=True)
class MediaSource:
    """Bytes on their way into the store, with the name and type their sender gave."""

    name: str
    content_type: str | None
    chunks: AsyncIterable[bytes]


@dataclass(frozen=True, slots=True)
class StoredMedia:
    """Bytes now in the store: what a database row records about them."""

    key: str
    size: int
    content_type: str
    name: str
    """The file name its sender gave (may be empty)."""


class MediaStore(Protocol):
    """Stores blobs under keys it generates; every method may be called concurrently."""

    async def put(self, chunks: AsyncIterable[bytes]) -> str:
        """Store the bytes of `chunks` under a new key and return the key.

        Nothing is visible under the key until every byte is stored, so a reader never sees
        half a file; when `chunks` raises, nothing is kept.
        """
        ...

    async def size(self, key: str) -> int | None:
        """The blob's size in bytes, or None when there is none under this key."""
        ...

    def open_range(self, key: str, *, start: int, end: int) -> AsyncIterator[bytes]:
        """The bytes `start` to `end - 1` in chunks; `MediaMissing` when the blob is gone."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob; a key with no blob is not an error (deletes may be repeated)."""
        ...

    def list_keys(self) -> AsyncIterator[str]:
        """Every key that has a blob, in no particular order."""
        ...

    async def put_as(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Store the bytes under `key` (one `put` of another store made), replacing a blob
        already there; as with `put`, nothing is visible until every byte is stored."""
        ...

    async def check(self) -> None:
        """Raise `MediaUnavailable` when the store cannot be used (checked before serving)."""
        ...


class LocalMediaStore:
    """Blobs as files in a directory, spread over 64 subdirectories by their key's first
    character so that no directory grows huge."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, key: str) -> Path:
        """The file of a key; `MediaMissing` for anything that is not a key this store made."""
        if not KEY_PATTERN.fullmatch(key):
            raise MediaMissing(f"{key!r} is not a media key")
        return self.directory / key[0] / key

    async def put(self, chunks: AsyncIterable[bytes]) -> str:
        """Write to a temporary name, then rename: readers see all of the file or nothing."""
        key = new_key()
        await self.put_as(key, chunks)
        return key

    async def put_as(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Write to a temporary name of its own, then rename over any file already there."""
        final = self.path(key)
        partial = final.with_name(f"{key}.{secrets.token_hex(4)}.part")
        await anyio.Path(final.parent).mkdir(parents=True, exist_ok=True)
        try:
            async with await anyio.open_file(partial, "xb") as out:
                async for chunk in chunks:
                    await out.write(chunk)
            await anyio.Path(partial).rename(final)
        except BaseException:
            await anyio.Path(partial).unlink(missing_ok=True)
            raise

    async def size(self, key: str) -> int | None:
        """The file's size, or None when it does not exist."""
        try:
            return (await anyio.Path(self.path(key)).stat()).st_size
        except (MediaMissing, FileNotFoundError):
            return None

    async def open_range(self, key: str, *, start: int, end: int) -> AsyncIterator[bytes]:
        """Read the range in chunks of at most 64 KiB."""
        try:
            handle = await anyio.open_file(self.path(key), "rb")
        except FileNotFoundError as exc:
            raise MediaMissing(f"no media under key {key}") from exc
        async with handle:
            await handle.seek(start)
            remaining = end - start
            while remaining > 0:
                chunk = await handle.read(min(CHUNK_BYTES, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    async def delete(self, key: str) -> None:
        """Unlink the file if it is there."""
        try:
            await anyio.Path(self.path(key)).unlink(missing_ok=True)
        except MediaMissing:
            return

    async def list_keys(self) -> AsyncIterator[str]:
        """The files named like a key (a `.part` being written is not one yet)."""
        for key in await anyio.to_thread.run_sync(self._list):
            yield key

    def _list(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(
            path.name
            for folder in self.directory.iterdir()
            if folder.is_dir()
            for path in folder.iterdir()
            if KEY_PATTERN.fullmatch(path.name) and path.name[0] == folder.name
        )

    async def check(self) -> None:
        """A directory needs nothing in advance: it is made with the first blob."""


def new_key() -> str:
    """32 URL-safe characters from the OS's random source (192 bits)."""
    return secrets.token_urlsafe(24)


async def put_source(store: MediaStore, source: MediaSource) -> StoredMedia:
    """Put the source's bytes in the store and describe them for a database row.

    Callers do this before their write transaction starts (a 100 MB upload must not hold
    the database's write lock) and delete the key again when that transaction fails, so a
    row never refers to missing bytes and rolled-back bytes do not stay behind.
    """
    key = await store.put(source.chunks)
    size = await store.size(key)
    if size is None:
        raise MediaMissing(f"the store lost {key} at once")
    content_type = content_types.clean(source.content_type, filename=source.name)
    return StoredMedia(key=key, size=size, content_type=content_type, name=source.name)


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    """A local file's bytes in chunks, for `put` (the operator's `recording add --media`)."""
    async with await anyio.open_file(path, "rb") as handle:
        while chunk := await handle.read(CHUNK_BYTES):
            yield chunk
