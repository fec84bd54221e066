"""Media in S3-compatible object storage (AWS S3, MinIO, Ceph, Garage, R2, ...).

`ONSTREAM_MEDIA_URL=s3://bucket/prefix` puts every blob at `prefix/{key}` in the bucket.
boto3 is the client: the reference implementation of the protocol, maintained by AWS, and
it reads region and credentials exactly as every other AWS tool does (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_PROFILE`, instance roles). Its calls block, so
each runs in a worker thread (`anyio.to_thread`); a boto3 client may be shared by threads.

- Uploads are streamed: bytes are gathered into parts of `PART_BYTES` and sent as a
  multipart upload, so a process holds at most one part of an upload in memory; a blob that
  fits in one part is one PutObject. A failed or abandoned upload is aborted, so nothing
  is left under the key, and nothing is visible before CompleteMultipartUpload.
- Playback reads ranges: `open_range` is one GetObject with a `Range` header, streamed in
  chunks; the server stays in the path (see docs/decisions.md, "Media in object storage").
- With an endpoint URL (anything but AWS) requests use path-style addressing
  (`http://host/bucket/key`), which every S3-compatible server answers; virtual hosts
  (`bucket.host`) need DNS that a private MinIO rarely has.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from onstream.media.store import KEY_PATTERN, MediaMissing, MediaUnavailable, new_key

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

PART_BYTES = 8 * 1024 * 1024
"""Multipart part size: above S3's 5 MiB minimum, and 10,000 parts reach 78 GiB."""
READ_BYTES = 256 * 1024
"""Chunk of a ranged read: each is one hop to a worker thread, so larger than the local 64 KiB."""
T = TypeVar("T")

_MISSING_OBJECT = {"404", "NoSuchKey", "NotFound"}
_REFUSED = {
    "403",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidClientTokenId",
    "ExpiredToken",
    "InvalidToken",
}


class S3MediaStore:
    """Blobs as objects `prefix/key` in one bucket."""

    def __init__(self, client: S3Client, *, bucket: str, prefix: str, where: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.where = where
        """How messages name the store (`s3://bucket/prefix at http://endpoint`)."""

    @classmethod
    def from_url(cls, url: str, *, endpoint_url: str | None) -> S3MediaStore:
        """The store of `s3://bucket[/prefix]` at `endpoint_url` (None: AWS)."""
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise MediaUnavailable(f"media store URL {url!r} names no bucket (s3://bucket/prefix)")
        config = Config(
            max_pool_connections=32,
            retries={"max_attempts": 3, "mode": "standard"},
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        try:
            client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)
        except (BotoCoreError, ValueError) as exc:
            raise MediaUnavailable(f"cannot use S3 store {url}: {exc}") from exc
        where = url.rstrip("/") + (f" at {endpoint_url}" if endpoint_url else "")
        return cls(client, bucket=bucket, prefix=prefix.strip("/"), where=where)

    def name(self, key: str) -> str:
        """The object's name in the bucket; `MediaMissing` for anything that is not a key."""
        if not KEY_PATTERN.fullmatch(key):
            raise MediaMissing(f"{key!r} is not a media key")
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put(self, chunks: AsyncIterable[bytes]) -> str:
        """Upload under a new key (multipart beyond one part)."""
        key = new_key()
        await self.put_as(key, chunks)
        return key

    async def put_as(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """One PutObject when everything fits in a part, else a multipart upload that is
        aborted if the chunks (or S3) fail."""
        name = self.name(key)
        buffer = bytearray()
        iterator = aiter(chunks)
        async for chunk in iterator:
            buffer += chunk
            if len(buffer) >= PART_BYTES:
                break
        else:
            body = bytes(buffer)
            await self._call(self.client.put_object, Bucket=self.bucket, Key=name, Body=body)
            return
        created = await self._call(
            self.client.create_multipart_upload, Bucket=self.bucket, Key=name
        )
        upload_id = created["UploadId"]
        try:
            parts = await self._upload_parts(name, upload_id, buffer, iterator)
            await self._call(
                self.client.complete_multipart_upload,
                Bucket=self.bucket,
                Key=name,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._call(
                    self.client.abort_multipart_upload,
                    Bucket=self.bucket,
                    Key=name,
                    UploadId=upload_id,
                )
            raise

    async def _upload_parts(
        self, name: str, upload_id: str, buffer: bytearray, rest: AsyncIterator[bytes]
    ) -> list[CompletedPartTypeDef]:
        parts: list[CompletedPartTypeDef] = []

        async def send(data: bytes) -> None:
            number = len(parts) + 1
            sent = await self._call(
                self.client.upload_part,
                Bucket=self.bucket,
                Key=name,
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
            )
            parts.append({"ETag": sent["ETag"], "PartNumber": number})

        async for chunk in rest:
            buffer += chunk
            while len(buffer) >= PART_BYTES:
                await send(bytes(buffer[:PART_BYTES]))
                del buffer[:PART_BYTES]
        while buffer or not parts:
            await send(bytes(buffer[:PART_BYTES]))
            del buffer[:PART_BYTES]
        return parts

    async def size(self, key: str) -> int | None:
        """HeadObject's length, or None when there is no such object."""
        try:
            head = await self._call(self.client.head_object, Bucket=self.bucket, Key=self.name(key))
        except MediaMissing:
            return None
        return head["ContentLength"]

    async def open_range(self, key: str, *, start: int, end: int) -> AsyncIterator[bytes]:
        """One ranged GetObject, read in chunks of `READ_BYTES`."""
        name = self.name(key)
        if end <= start:
            return
        got = await self._call(
            self.client.get_object, Bucket=self.bucket, Key=name, Range=f"bytes={start}-{end - 1}"
        )
        body = got["Body"]
        try:
            while chunk := await anyio.to_thread.run_sync(body.read, READ_BYTES):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        """DeleteObject (S3 answers a missing object like a deleted one)."""
        try:
            name = self.name(key)
        except MediaMissing:
            return
        await self._call(self.client.delete_object, Bucket=self.bucket, Key=name)

    async def list_keys(self) -> AsyncIterator[str]:
        """ListObjectsV2 under the prefix, a page of up to 1000 at a time."""
        prefix = f"{self.prefix}/" if self.prefix else ""
        token: str | None = None
        while True:
            options: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
            if token:
                options["ContinuationToken"] = token
            page = await self._call(self.client.list_objects_v2, **options)
            for item in page.get("Contents", []):
                key = item["Key"].removeprefix(prefix)
                if KEY_PATTERN.fullmatch(key):
                    yield key
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return

    async def check(self) -> None:
        """HeadBucket: the bucket exists and these credentials may use it."""
        await self._call(self.client.head_bucket, Bucket=self.bucket)

    async def _call(self, method: Callable[..., T], **kwargs: Any) -> T:
        """Run one boto3 call in a worker thread, its errors translated: a missing object
        is `MediaMissing`, anything that makes the store unusable `MediaUnavailable`."""
        try:
            return await anyio.to_thread.run_sync(lambda: method(**kwargs))
        except ClientError as exc:
            raise self._translate(exc) from exc
        except NoCredentialsError as exc:
            raise MediaUnavailable(
                f"no S3 credentials for {self.where}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
            ) from exc
        except BotoCoreError as exc:
            raise MediaUnavailable(f"S3 store {self.where} cannot be used: {exc}") from exc

    def _translate(self, exc: ClientError) -> Exception:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code == "NoSuchBucket" or (
            exc.operation_name == "HeadBucket" and code in _MISSING_OBJECT
        ):
            return MediaUnavailable(f"the bucket '{self.bucket}' does not exist ({self.where})")
        if code in _MISSING_OBJECT:
            return MediaMissing(f"no such object in {self.where}")
        if code in _REFUSED:
            return MediaUnavailable(
                f"S3 refused the credentials for {self.where} ({code}): check "
                "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's permissions"
            )
        message = str(error.get("Message") or code or exc)
        return MediaUnavailable(f"S3 store {self.where} answered an error: {message}")
