"""Output formats (CONTRACT §4): one small module per format, and the registry.

Each format renders a `Document` to the bytes of a response body and names its
Content-Type. `get_format` resolves the name a client asked for; `format_from_accept` reads
an `Accept` header when the client named none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from onstream.protocol.document import Document
from onstream.protocol.errors import UnknownFormat
from onstream.protocol.formats import (
    csv_format,
    html_format,
    json_format,
    php_format,
    serialize_format,
    xml_format,
)
from onstream.protocol.formats.accept import MEDIA_TYPES, format_from_accept
from onstream.protocol.security_headers import API_HTML_POLICY, security_headers

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "Format",
    "format_from_accept",
    "get_format",
]


@dataclass(frozen=True, slots=True)
class Format:
    """An output format: its name in URLs, its Content-Type, and its renderer."""

    name: str
    content_type: str
    render: Callable[[Document], bytes]
    own: bool = False
    """Offered by some handlers only, which render it themselves (`Reply.body`): a
    calendar is not a rendering of any document. Elsewhere it is 400."""
    headers: tuple[tuple[str, str], ...] = ()
    """Sent with every answer in this format (the `html` format's security headers)."""


FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        Format("xml", "application/xml; charset=utf-8", xml_format.render),
        Format("json", "application/json; charset=utf-8", json_format.render),
        Format("serialize", "application/vnd.php.serialized", serialize_format.render),
        Format("php", "text/plain; charset=utf-8", php_format.render),
        Format(
            "html",
            "text/html; charset=utf-8",
            html_format.render,
            headers=tuple(security_headers(API_HTML_POLICY).items()),
        ),
        Format("csv", "text/csv; charset=utf-8", csv_format.render),
        Format("ics", "text/calendar; charset=utf-8", lambda _: b"", own=True),
    )
}
"""Every format the server renders, by name; `xml` is the default."""


def get_format(name: str) -> Format:
    """The format called `name` (case-insensitive); UnknownFormat (400) if there is none."""
    fmt = FORMATS.get(name.lower())
    if fmt is None:
        raise UnknownFormat(
            f"Unknown format '{name}'; use one of xml, json, serialize, php, html, csv "
            "(and ics for GET session)"
        )
    return fmt
