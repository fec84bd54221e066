"""The `json` format: the document's data as is (booleans stay booleans, None is null).

orjson is used because it is several times faster than the stdlib encoder and emits compact
UTF-8 directly. It writes non-finite floats as null, which is the usual JSON convention.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from onstream.protocol.document import Document
from onstream.protocol.formats._text import scrub_surrogates


def render(doc: Document) -> bytes:
    """The document's data as compact JSON.

    A string with a lone surrogate cannot be UTF-8; rather than fail the response, such a
    document is rendered again with those characters replaced by U+FFFD.
    """
    try:
        return orjson.dumps(doc.data, default=_default)
    except orjson.JSONEncodeError:
        return orjson.dumps(scrub_surrogates(doc.data), default=_default)


def _default(value: object) -> object:
    """Let any read-only mapping (not only dict) through; everything else is a real error."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} cannot be rendered as JSON")
