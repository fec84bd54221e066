"""The API's URL grammar (CONTRACT §1).

    /api/{ver}/{username}/{resource}[/{key}/{value}]...[/format/{fmt}]

`ver` is 2, or 1 as an alias (the documentation's PHP snippets use /api/1/). Trailing segments
pair up into parameters. A file-style suffix on the last segment (`/sessions.json`,
`/session/id/7.csv`) selects the format when it names one; any other dot stays part of the
value, so e-mail addresses and names with dots pass through.
Segments are split on the raw path before percent-decoding, so `%2F` inside a value stays
inside that value.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from urllib.parse import unquote

from onstream.protocol.errors import BadRequest, NotFound

VERSIONS = frozenset({"1", "2"})


@dataclass(frozen=True, slots=True)
class ApiPath:
    """One parsed API path."""

    version: str
    username: str
    resource: str
    segments: dict[str, str]
    suffix_format: str | None


def parse_api_path(raw: str, *, formats: frozenset[str]) -> ApiPath:
    """Parse the part of the raw path after `/api/`; `formats` are the suffixes to honour.

    Unknown versions and paths too short to name a resource are 404; a key without a value is
    400 naming it. Whether the resource exists is the router's question, not the grammar's.
    """
    parts = raw.strip("/").split("/")
    if len(parts) < 3 or parts[0] not in VERSIONS:
        raise NotFound("No such API endpoint; URLs look like /api/2/{username}/{resource}")
    parts, suffix = _split_suffix(parts, formats)
    version, username, resource, *rest = (unquote(p) for p in parts)
    if len(rest) % 2:
        key = _key_without_value(rest, formats)
        raise BadRequest(f"URL segment '{key}' needs a value after it: .../{key}/{{value}}")
    segments = dict(zip(rest[::2], rest[1::2], strict=True))
    return ApiPath(version, username, resource, segments, suffix)


def format_hint(raw: str, *, formats: frozenset[str]) -> str | None:
    """The format a raw path asks for (`/format/x` anywhere, or a `.x` suffix), even when the
    path is otherwise broken, so that the error about it is rendered in that format."""
    parts = [unquote(p) for p in raw.strip("/").split("/")]
    for key, value in pairwise(parts):
        if key == "format" and value.lower() in formats:
            return value.lower()
    return _split_suffix(parts, formats)[1] if parts else None


def _key_without_value(rest: list[str], formats: frozenset[str]) -> str:
    """The key that lacks its value in an odd list of segments. A trailing `format/x` pair
    is whole (`session/id/format/json` misses the id), so the key is the last one before it;
    otherwise the last segment is the key."""
    if len(rest) >= 3 and rest[-2] == "format" and rest[-1].lower() in formats:
        return rest[-3]
    return rest[-1]


def _split_suffix(parts: list[str], formats: frozenset[str]) -> tuple[list[str], str | None]:
    stem, dot, ext = parts[-1].rpartition(".")
    if not dot or not stem or ext.lower() not in formats:
        return parts, None
    return [*parts[:-1], stem], ext.lower()
