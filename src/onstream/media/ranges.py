"""Serving a stored blob over HTTP with byte ranges, so players can seek (RFC 9110 §14).

starlette's `FileResponse` answers ranges too, but only for a file on local disk; this
responder reads through `MediaStore.open_range`, so it works the same for any store.

- No `Range` header, a unit other than `bytes`, a header that does not parse, several ranges,
  or an `If-Range` that names another version: the whole blob, 200. RFC 9110 lets a server
  ignore a Range header; players ask for one range at a time.
- `bytes=a-b`, `bytes=a-`, `bytes=-n` within the blob: 206 with `Content-Range`.
- A range that starts at or beyond the end (or `bytes=-0`): 416 with `Content-Range: bytes */size`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from onstream.media.store import MediaStore

_SINGLE_RANGE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})")


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Bytes `start` to `end - 1` of a blob of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end - 1}/{self.size}"


class Unsatisfiable(Exception):
    """The range lies entirely outside the blob."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range asked for, or None to send everything; `Unsatisfiable` for 416."""
    match = _SINGLE_RANGE.fullmatch((header or "").replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(size - suffix, 0), size, size)
    start = int(first)
    if last and int(last) < start:
        return None  # `bytes=9-3` is not a valid range: ignored, as RFC 9110 allows
    if start >= size:
        raise Unsatisfiable
    end = int(last) + 1 if last else size
    return ByteRange(start, min(end, size), size)


def media_response(
    request: Request,
    store: MediaStore,
    *,
    key: str,
    size: int,
    content_type: str,
    headers: Mapping[str, str],
) -> Response:
    """The blob (or the asked range of it) as a streamed response; HEAD gets headers only."""
    etag = f'"{key}"'  # a key names one immutable blob, so it is a strong validator
    base = {**headers, "accept-ranges": "bytes", "etag": etag}
    if_range = request.headers.get("if-range")
    try:
        wanted = None
        if if_range in (None, etag):
            wanted = parse_range(request.headers.get("range"), size)
    except Unsatisfiable:
        return Response(status_code=416, headers={**base, "content-range": f"bytes */{size}"})
    part = wanted or ByteRange(0, size, size)
    base["content-type"] = content_type
    base["content-length"] = str(part.end - part.start)
    status = 200
    if wanted is not None:
        status = 206
        base["content-range"] = wanted.content_range
    if request.method == "HEAD":
        return Response(status_code=status, headers=base)
    body = store.open_range(key, start=part.start, end=part.end)
    return StreamingResponse(body, status_code=status, headers=base)
