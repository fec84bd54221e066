"""The S3 media store against a real S3-compatible server: what the local store promises,
plus multipart uploads, and one clear error for a store that cannot be used."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.support.s3 import S3Server

from onstream.config import Settings
from onstream.media.s3 import PART_BYTES, S3MediaStore
from onstream.media.selection import store_at
from onstream.media.store import MediaMissing, MediaUnavailable

pytestmark = pytest.mark.anyio


def store(s3: S3Server, url: str) -> S3MediaStore:
    made = store_at(url, settings=Settings(s3_endpoint_url=s3.endpoint))
    assert isinstance(made, S3MediaStore)
    return made


async def chunks_of(data: bytes, size: int = 100_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read(media: S3MediaStore, key: str, start: int, end: int) -> bytes:
    return b"".join([chunk async for chunk in media.open_range(key, start=start, end=end)])


async def test_small_blob_round_trip_under_the_prefix(s3: S3Server, bucket: str) -> None:
    media = store(s3, f"s3://{bucket}/site/media")
    data = bytes(range(256)) * 40
    key = await media.put(chunks_of(data, 1000))
    assert await media.size(key) == len(data)
    assert await read(media, key, 0, len(data)) == data
    assert await read(media, key, 300, 1300) == data[300:1300]
    assert s3.objects(bucket) == {f"site/media/{key}": data}
    assert [k async for k in media.list_keys()] == [key]
    await media.delete(key)
    assert await media.size(key) is None
    assert s3.objects(bucket) == {}
    await media.delete(key)  # deleting again is not an error


async def test_big_blob_goes_up_in_parts(s3: S3Server, bucket: str) -> None:
    media = store(s3, f"s3://{bucket}")
    data = os.urandom(2 * PART_BYTES + 12345)
    key = await media.put(chunks_of(data, 1_000_000))
    assert await media.size(key) == len(data)
    head = s3.client().head_object(Bucket=bucket, Key=key)
    assert head["ETag"].strip('"').endswith("-3"), "three parts, not one PutObject"
    assert (
        await read(media, key, PART_BYTES - 5, PART_BYTES + 5)
        == data[PART_BYTES - 5 : PART_BYTES + 5]
    )
    assert await read(media, key, 0, len(data)) == data


async def test_failing_upload_leaves_nothing(s3: S3Server, bucket: str) -> None:
    media = store(s3, f"s3://{bucket}")

    async def breaks() -> AsyncIterator[bytes]:
        yield os.urandom(PART_BYTES + 10)
        raise OSError("the client went away")

    with pytest.raises(OSError, match="went away"):
        await media.put(breaks())
    assert s3.objects(bucket) == {}
    assert s3.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


async def test_missing_object_and_non_keys(s3: S3Server, bucket: str) -> None:
    media = store(s3, f"s3://{bucket}")
    absent = "A" * 32
    assert await media.size(absent) is None
    assert await media.size("../../etc/passwd") is None
    with pytest.raises(MediaMissing):
        await read(media, absent, 0, 10)


async def test_put_as_keeps_the_key_and_replaces(s3: S3Server, bucket: str) -> None:
    media = store(s3, f"s3://{bucket}/p")
    key = "k" * 32
    await media.put_as(key, chunks_of(b"first"))
    await media.put_as(key, chunks_of(b"second"))
    assert await read(media, key, 0, 6) == b"second"
    with pytest.raises(MediaMissing):
        await media.put_as("not a key", chunks_of(b"x"))


async def test_missing_bucket_is_one_clear_error(s3: S3Server) -> None:
    media = store(s3, "s3://no-such-bucket/media")
    with pytest.raises(MediaUnavailable, match="the bucket 'no-such-bucket' does not exist"):
        await media.check()


async def test_refused_credentials_are_one_clear_error(tmp_path: Path) -> None:
    refusing = S3Server(
        log_path=tmp_path / "moto.log", extra_env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    ).start()
    try:
        media = store(refusing, "s3://some-bucket")
        with pytest.raises(MediaUnavailable, match="S3 refused the credentials"):
            await media.check()
    finally:
        refusing.stop()


async def test_malformed_urls_are_refused() -> None:
    with pytest.raises(MediaUnavailable, match="names no bucket"):
        store_at("s3:///prefix", settings=Settings())
    with pytest.raises(MediaUnavailable, match="neither"):
        store_at("ftp://host/dir", settings=Settings())
