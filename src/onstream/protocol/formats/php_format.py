"""The `php` format: a PHP array literal for `eval('return ' . $body . ';')`.

    array ('id' => 1, 'message' => 'Session added')

It follows `var_export` on one line. Strings are single-quoted with only `\\` and `'`
escaped: inside single quotes PHP interprets nothing else, so `$`, `{$x}`, `?>`, newlines and
NUL bytes in the data stay plain characters and can never end the literal or interpolate.
Integers are written as is, except PHP_INT_MIN, which PHP would read as a float, and is
written `-9223372036854775807-1` like `var_export` does; integers outside PHP's range raise
ValueError. Floats use the shortest literal that reads back as the same double; PHP has no
literal for inf or nan, so those raise ValueError instead of producing a wrong body.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from onstream.protocol.document import Document, Value
from onstream.protocol.formats._text import PHP_INT_MIN, check_php_int, encode_utf8


def render(doc: Document) -> bytes:
    """The document's data as one PHP array expression."""
    out: list[str] = []
    _value(doc.data, out)
    return encode_utf8("".join(out))


def _value(value: Value, out: list[str]) -> None:
    """Append the PHP literal of one value (recursively for arrays)."""
    if value is None:
        out.append("NULL")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(php_string(value))
    elif isinstance(value, int):
        out.append(php_int(value))
    elif isinstance(value, float):
        out.append(php_float(value))
    elif isinstance(value, Mapping):
        _array(value.items(), out)
    elif isinstance(value, list | tuple):
        _array(enumerate(value), out)
    else:
        raise TypeError(f"{type(value).__name__} cannot be rendered as a PHP literal")


def _array(pairs: Iterable[tuple[object, Value]], out: list[str]) -> None:
    """Append `array (k => v, ...)` for key/value pairs."""
    out.append("array (")
    first = True
    for key, child in pairs:
        if not first:
            out.append(", ")
        first = False
        if isinstance(key, int) and not isinstance(key, bool):
            out.append(php_int(key))
        else:
            out.append(php_string(key if isinstance(key, str) else str(key)))
        out.append(" => ")
        _value(child, out)
    out.append(")")


def php_string(text: str) -> str:
    """A single-quoted PHP string literal whose value is exactly `text`."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def php_int(value: int) -> str:
    """An integer literal PHP reads as an int (not a float) of the same value."""
    if check_php_int(value) == PHP_INT_MIN:
        return "-9223372036854775807-1"
    return str(value)


def php_float(value: float) -> str:
    """The shortest float literal that PHP reads back as the same double."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} has no PHP literal; the php format cannot carry it")
    return repr(value)
