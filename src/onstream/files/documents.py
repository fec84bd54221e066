"""How files appear in API documents (CONTRACT §3, §8).

An uploaded file's `file_link` is its download link on this server,
`{base_url}/files/{key}/{name}`: the key is the unguessable part, the name is there so that
browsers and download tools save the file under its own name.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from onstream.files.models import LibraryFile
from onstream.protocol.document import Document
from onstream.protocol.times import iso_utc

FIELDS = ("id", "file_link", "is_url", "dir_id", "file_description", "created_at")


def download_path(key: str, name: str) -> str:
    """`/files/{key}/{name}`, the name percent-encoded."""
    return f"/files/{key}/{quote(name, safe='')}"


def file_link(base_url: str, item: LibraryFile) -> str | None:
    """The link as given, or the download link of an upload."""
    if item.media_key is not None and item.media_name is not None:
        return base_url + download_path(item.media_key, item.media_name)
    return item.file_link


def files_document(
    items: Sequence[LibraryFile], *, base_url: str, fields: Sequence[str] = FIELDS
) -> Document:
    """`{"files": [...]}`; in XML each file is an `<item>` under `<xml><files>`."""
    rows = []
    for item in items:
        row = {
            "id": item.id,
            "file_link": file_link(base_url, item),
            "is_url": item.is_url,
            "dir_id": item.dir_id,
            "file_description": item.file_description,
            "created_at": iso_utc(item.created_at),
        }
        rows.append({name: row[name] for name in fields})
    return Document({"files": rows})
