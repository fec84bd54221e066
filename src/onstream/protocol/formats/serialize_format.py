"""The `serialize` format: PHP's `serialize()` notation, for PHP clients to `unserialize()`.

    a:2:{s:2:"id";i:1;s:7:"message";s:13:"Session added";}

String lengths are UTF-8 byte counts (PHP strings are bytes), so multibyte text, quotes,
backslashes and NUL bytes need no escaping at all: the length says where the string ends.
Lists become arrays keyed `i:0;`, `i:1;`...; dicts are keyed by their string keys (PHP itself
turns integer-looking keys such as "5" into integer keys, exactly as `json_decode` does).
Floats are written in the shortest form that reads back as the same double (`d:0.1;`,
`d:1e+25;`), and `d:INF;`, `d:-INF;`, `d:NAN;` as PHP writes them. Integers outside PHP's
64-bit range raise ValueError rather than change value. The body is built as bytes directly
so every length is the length of the bytes actually written.
"""

from __future__ import annotations

from collections.abc import Mapping

from onstream.protocol.document import Document, Value
from onstream.protocol.formats._text import check_php_int, encode_utf8, float_text


def render(doc: Document) -> bytes:
    """The document's data as one serialized PHP array."""
    out: list[bytes] = []
    _value(doc.data, out)
    return b"".join(out)


def _value(value: Value, out: list[bytes]) -> None:
    """Append the serialization of one value (recursively for arrays)."""
    if value is None:
        out.append(b"N;")
    elif value is True:
        out.append(b"b:1;")
    elif value is False:
        out.append(b"b:0;")
    elif isinstance(value, str):
        _string(value, out)
    elif isinstance(value, int):
        out.append(b"i:%d;" % check_php_int(value))
    elif isinstance(value, float):
        out.append(b"d:" + float_text(value).encode("ascii") + b";")
    elif isinstance(value, Mapping):
        out.append(b"a:%d:{" % len(value))
        for key, child in value.items():
            _key(key, out)
            _value(child, out)
        out.append(b"}")
    elif isinstance(value, list | tuple):
        out.append(b"a:%d:{" % len(value))
        for index, child in enumerate(value):
            out.append(b"i:%d;" % index)
            _value(child, out)
        out.append(b"}")
    else:
        raise TypeError(f"{type(value).__name__} cannot be rendered as PHP serialize")


def _key(key: object, out: list[bytes]) -> None:
    """Append an array key: integers as `i:`, anything else as its string."""
    if isinstance(key, int) and not isinstance(key, bool):
        out.append(b"i:%d;" % check_php_int(key))
    else:
        _string(key if isinstance(key, str) else str(key), out)


def _string(text: str, out: list[bytes]) -> None:
    """Append `s:<byte length>:"<bytes>";`."""
    raw = encode_utf8(text)
    out.append(b's:%d:"' % len(raw))
    out.append(raw)
    out.append(b'";')
