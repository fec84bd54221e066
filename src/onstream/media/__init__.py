"""Media bytes (recordings, uploaded files): a small store interface, its local and S3
implementations, moving blobs between stores, and HTTP range serving."""

from onstream.media.selection import store_at, store_for
from onstream.media.store import LocalMediaStore, MediaMissing, MediaStore, MediaUnavailable

__all__ = [
    "LocalMediaStore",
    "MediaMissing",
    "MediaStore",
    "MediaUnavailable",
    "store_at",
    "store_for",
]
