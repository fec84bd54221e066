"""Choosing a format from an HTTP `Accept` header (CONTRACT §4).

This runs on every request without an explicit format, and clients send the same few headers
over and over, so the answer is cached per header string.
"""

from __future__ import annotations

from functools import lru_cache

MEDIA_TYPES: dict[str, str] = {
    "application/xml": "xml",
    "text/xml": "xml",
    "application/json": "json",
    "application/vnd.php.serialized": "serialize",
    "application/vnd.php": "php",
    "text/php": "php",
    "application/x-httpd-php": "php",
    "text/html": "html",
    "text/csv": "csv",
}
"""Media types that select a format; matched case-insensitively, parameters ignored."""

_DEFAULT = ""
"""Marker for a range (`*/*`, `text/*`) that the default format satisfies."""


def format_from_accept(accept: str | None) -> str | None:
    """The format an `Accept` header asks for, or None when the default (xml) should be used.

    The acceptable entry with the highest q-value wins, ties going to the one listed first;
    `q=0` means "not acceptable" and entries with a malformed q are ignored. A wildcard range
    is satisfied by the default, so `*/*` alone (or ranked above every known type) gives None.
    A header listing both `text/html` and an XML type is a browser's, which the original
    server answered with its default, so it gives None too.
    """
    if not accept:
        return None
    return _from_accept(accept)


@lru_cache(maxsize=512)
def _from_accept(accept: str) -> str | None:
    """Cached body of `format_from_accept`; headers repeat, parsing them need not."""
    ranked: list[tuple[float, int, str]] = []
    browser_html = browser_xml = False
    for index, entry in enumerate(accept.split(",")):
        media, _, params = entry.partition(";")
        media = media.strip().lower()
        q = _quality(params)
        if not media or q is None or q <= 0:
            continue
        if media == "text/html":
            browser_html = True
        elif media in ("application/xml", "text/xml") or media.endswith("+xml"):
            browser_xml = True
        name = _DEFAULT if media.endswith("/*") else MEDIA_TYPES.get(media)
        if name is not None:
            ranked.append((-q, index, name))
    if (browser_html and browser_xml) or not ranked:
        return None
    return min(ranked)[2] or None


def _quality(params: str) -> float | None:
    """The q parameter (1 when absent); None when it is not a number between 0 and 1."""
    for param in params.split(";"):
        key, _, raw = param.partition("=")
        if key.strip().lower() == "q":
            try:
                q = float(raw.strip())
            except ValueError:
                return None
            return q if 0 <= q <= 1 else None
    return 1.0
