"""Media bytes (recordings, uploaded files): a small store interface and HTTP range serving."""

from onstream.media.store import LocalMediaStore, MediaMissing, MediaStore, store_for

__all__ = ["LocalMediaStore", "MediaMissing", "MediaStore", "store_for"]
