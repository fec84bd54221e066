"""Moving every blob from one store to another, keys kept (the database refers to them).

Used by `onstream media copy` (local directory to a bucket and back, one bucket to another)
and by `onstream backup`/`restore`. Each blob is streamed from the source's `open_range` into
the target's `put_as`, so neither side holds a whole file. A blob the target already holds
with the same size is skipped: a copy that was interrupted is finished by running it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from onstream.media.store import MediaMissing, MediaStore


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a copy is: blobs handled of all, bytes copied, blobs already there."""

    done: int
    total: int
    bytes_copied: int
    skipped: int


async def copy_all(
    source: MediaStore, target: MediaStore, *, progress: Callable[[Progress], None]
) -> Progress:
    """Copy every blob of `source` into `target`; `progress` hears after each blob."""
    keys = sorted([key async for key in source.list_keys()])
    copied = skipped = 0
    for done, key in enumerate(keys, start=1):
        size = await source.size(key)
        if size is None:
            raise MediaMissing(f"blob {key} vanished from the source while copying")
        if await target.size(key) == size:
            skipped += 1
        else:
            await target.put_as(key, source.open_range(key, start=0, end=size))
            copied += size
        progress(Progress(done=done, total=len(keys), bytes_copied=copied, skipped=skipped))
    return Progress(done=len(keys), total=len(keys), bytes_copied=copied, skipped=skipped)


def megabytes(count: int) -> str:
    """A byte count for a progress line: `12.3 MB`."""
    return f"{count / 1_000_000:.1f} MB"
