"""The backup archive: a plain tar file, written as a stream and checked before any restore.

    onstream-backup.json   what the archive holds (format, schema revision, media count)
    database.sqlite        the database as one SQLite file, whatever the source database was
    media/{key}            every media blob, under the key the database refers to

Plain tar, not compressed: recordings are already compressed, and any tool can list or
unpack the archive. Members are written by hand (a header from `tarfile.TarInfo`, the bytes,
padding), because `tarfile` wants a synchronous file object for each member's bytes and the
media store yields them asynchronously; reading uses `tarfile` itself.
"""

from __future__ import annotations

import json
import tarfile
import time
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from onstream.errors import DomainError
from onstream.media.store import KEY_PATTERN

FORMAT = 1
MANIFEST = "onstream-backup.json"
DATABASE = "database.sqlite"
MEDIA_PREFIX = "media/"
_BLOCK = tarfile.BLOCKSIZE


class BackupError(DomainError):
    """A backup cannot be made or restored; the message says why in one line."""


class ArchiveWriter:
    """Appends members to an open binary file; `close` writes the end-of-archive marker."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out

    def _header(self, name: str, size: int) -> None:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(time.time())
        info.mode = 0o600
        self.out.write(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))

    def _pad(self, size: int) -> None:
        if size % _BLOCK:
            self.out.write(b"\0" * (_BLOCK - size % _BLOCK))

    def add_bytes(self, name: str, data: bytes) -> None:
        """A small member whose bytes are in hand (the manifest)."""
        self._header(name, len(data))
        self.out.write(data)
        self._pad(len(data))

    def add_file(self, name: str, path: Path) -> None:
        """A member copied from a local file (the database snapshot)."""
        size = path.stat().st_size
        self._header(name, size)
        with path.open("rb") as source:
            while chunk := source.read(1024 * 1024):
                self.out.write(chunk)
        self._pad(size)

    async def add_stream(self, name: str, size: int, chunks: AsyncIterable[bytes]) -> None:
        """A member of known size whose bytes arrive in chunks (a media blob); the size is
        in the header before the bytes, so a blob that changed meanwhile is an error."""
        self._header(name, size)
        written = 0
        async for chunk in chunks:
            written += len(chunk)
            if written > size:
                break
            self.out.write(chunk)
        if written != size:
            raise BackupError(f"{name} changed size while it was being archived; run it again")
        self._pad(size)

    def close(self) -> None:
        """Two zero blocks end a tar archive; the file is padded to tar's record size."""
        self.out.write(b"\0" * 2 * _BLOCK)
        position = self.out.tell()
        if position % tarfile.RECORDSIZE:
            self.out.write(b"\0" * (tarfile.RECORDSIZE - position % tarfile.RECORDSIZE))


def manifest(*, revision: str | None, source: str, media: int, media_bytes: int) -> bytes:
    """The manifest member's bytes."""
    document = {
        "format": FORMAT,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "schema_revision": revision,
        "source_database": source,
        "media_objects": media,
        "media_bytes": media_bytes,
    }
    return json.dumps(document, indent=2).encode()


@dataclass
class OpenedArchive:
    """A backup archive whose members were all checked; the tar file stays open."""

    tar: tarfile.TarFile
    manifest: dict[str, Any]
    database: tarfile.TarInfo
    media: list[tarfile.TarInfo]

    @property
    def media_bytes(self) -> int:
        return sum(member.size for member in self.media)

    def key_of(self, member: tarfile.TarInfo) -> str:
        return member.name.removeprefix(MEDIA_PREFIX)

    def read(self, member: tarfile.TarInfo) -> IO[bytes]:
        handle = self.tar.extractfile(member)
        if handle is None:  # pragma: no cover - open_archive admits regular files only
            raise BackupError(f"{member.name} in the archive is not a file")
        return handle


def open_archive(path: Path) -> OpenedArchive:
    """Open and check the whole archive before anything is restored: a tar file, with a
    manifest of this format, a database, media members named like keys, as many as the
    manifest says, none cut short. Any failure is one `BackupError`."""
    name = str(path)
    if not path.is_file():
        raise BackupError(f"there is no backup file at {name}")
    tar: tarfile.TarFile | None = None
    try:
        tar = tarfile.open(path, "r:")  # noqa: SIM115  # open for the restore's duration
        members = tar.getmembers()
    except (tarfile.TarError, OSError, EOFError) as exc:
        if tar is not None:
            tar.close()
        if "unexpected end of data" in str(exc):
            raise BackupError(f"{name} is cut short: the archive ends inside a member") from exc
        raise BackupError(f"{name} is not a readable Onstream backup: {exc}") from exc
    try:
        return _checked(tar, members, path)
    except BaseException:
        tar.close()
        raise


def _checked(tar: tarfile.TarFile, members: list[tarfile.TarInfo], path: Path) -> OpenedArchive:
    name = str(path)
    by_name = {member.name: member for member in members}
    if MANIFEST not in by_name or DATABASE not in by_name:
        raise BackupError(f"{name} is not an Onstream backup (no {MANIFEST} or {DATABASE})")
    end = path.stat().st_size
    for member in members:
        if not member.isfile():
            raise BackupError(f"{name} holds {member.name!r}, which is not a file")
        if member.offset_data + member.size > end:
            raise BackupError(f"{name} is cut short: {member.name} is incomplete")
    try:
        handle = tar.extractfile(by_name[MANIFEST])
        document = json.loads(handle.read() if handle else b"")
    except (ValueError, tarfile.TarError, OSError) as exc:
        raise BackupError(f"{name} has an unreadable {MANIFEST}: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{name} is a backup of a format this version cannot read")
    media = [m for m in members if m.name.startswith(MEDIA_PREFIX)]
    strays = [m.name for m in members if m.name not in (MANIFEST, DATABASE) and m not in media]
    for member in media:
        if not KEY_PATTERN.fullmatch(member.name.removeprefix(MEDIA_PREFIX)):
            strays.append(member.name)
    if strays:
        raise BackupError(f"{name} holds members no backup has: {', '.join(strays[:3])}")
    if len(media) != document.get("media_objects"):
        raise BackupError(
            f"{name} holds {len(media)} media objects, its manifest says "
            f"{document.get('media_objects')}: the archive is incomplete"
        )
    return OpenedArchive(tar=tar, manifest=document, database=by_name[DATABASE], media=media)
