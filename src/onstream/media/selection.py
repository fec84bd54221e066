"""Which media store the configuration or a command's URL names.

Apart from `store.py` because the S3 store builds on that module's interface, and this one
chooses between the two.
"""

from __future__ import annotations

from pathlib import Path

from onstream.config import Settings
from onstream.media.store import LocalMediaStore, MediaStore, MediaUnavailable


def store_for(settings: Settings) -> MediaStore:
    """The store the configuration asks for: `ONSTREAM_MEDIA_URL`, else the local directory
    `ONSTREAM_MEDIA_DIR`."""
    return store_at(settings.media_url or settings.media_dir, settings=settings)


def store_at(url: str, *, settings: Settings) -> MediaStore:
    """The store a URL names: `s3://bucket[/prefix]`, `file:///path`, or a plain directory.

    For S3 the endpoint comes from `ONSTREAM_S3_ENDPOINT_URL` (unset: AWS itself), the
    region and credentials from the usual AWS variables and files, as any AWS tool reads them.
    """
    if url.startswith("s3://"):
        from onstream.media.s3 import S3MediaStore  # boto3 is loaded only when S3 is used

        return S3MediaStore.from_url(url, endpoint_url=settings.s3_endpoint_url)
    if url.startswith("file://"):
        url = url.removeprefix("file://")
    if not url or "://" in url:
        raise MediaUnavailable(
            f"media store URL {url!r} is neither s3://bucket/prefix, file:///path nor a directory"
        )
    return LocalMediaStore(Path(url).absolute())
