"""Scalar-to-text rules shared by the text renderers (xml, html, csv).

One place decides how a bool, a float or a missing value reads as text, so the human and
spreadsheet formats never disagree with the XML one about what `true` or `null` looks like.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from onstream.protocol.document import Value

_SURROGATES = re.compile("[\ud800-\udfff]")

PHP_INT_MIN = -(2**63)
PHP_INT_MAX = 2**63 - 1


def scalar_text(value: Value) -> str:
    """The text of a scalar: booleans 1/0 (as the original PHP server wrote them), None empty."""
    if value is None:
        return ""
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return float_text(value)
    return str(value)


def float_text(value: float) -> str:
    """Shortest text that reads back as the same float; PHP's spelling for inf and nan.

    `repr` is exact on a round trip and is accepted both by PHP's `unserialize()` and as a PHP
    literal (`1e+25`, `1.5e-07`, `0.1`), so every format can share it.
    """
    if math.isfinite(value):
        return repr(value)
    if math.isnan(value):
        return "NAN"
    return "INF" if value > 0 else "-INF"


def check_php_int(value: int) -> int:
    """Refuse integers PHP cannot hold: it would silently turn them into lossy floats."""
    if not PHP_INT_MIN <= value <= PHP_INT_MAX:
        raise ValueError(f"integer {value} does not fit in a 64-bit PHP int")
    return value


def encode_utf8(text: str) -> bytes:
    """UTF-8 bytes of `text`; lone surrogates (not encodable) become U+FFFD.

    Lone surrogates only reach us from badly decoded input; replacing them keeps every
    response valid UTF-8 instead of failing the whole request for one bad character.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text).encode("utf-8")


def scrub_surrogates(value: Value) -> Value:
    """A copy of `value` with lone surrogates in strings and keys replaced by U+FFFD.

    Also turns other mappings into dicts and tuples into lists, which is what a JSON
    encoder without fallbacks can take.
    """
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, Mapping):
        return {scrub_surrogates(k): scrub_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_surrogates(v) for v in value]
    return value
