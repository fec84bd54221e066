"""The `xml` format: the API's default, shaped like the original server's samples.

    <?xml version="1.0" encoding="utf-8"?>
    <root><sessions><session><id>1</id>...</session></sessions></root>

Dict keys become elements; list items are named by their list (`Document.item_names`, else
`item`); booleans are 1/0 and None is an empty element (`<password/>`). The body is built
from string parts and joined once, because this renders every default response.

Text is made well-formed whatever the data holds:

- `&`, `<`, `>` are escaped, and CR is written `&#13;` so parsers do not normalise it away;
- characters XML 1.0 forbids outright (C0 controls other than tab/LF/CR, lone surrogates,
  U+FFFE, U+FFFF) cannot be written even as references, so they are replaced by U+FFFD.
  This is the one place a format changes data; the alternative is a document no client
  can parse.

Keys that are not safe element names (empty, starting with a digit, `-` or `.`, containing
spaces, colons or non-ASCII characters) get a safe name: every character outside
`[A-Za-z0-9_.-]` becomes `_`, and `_` is prefixed when the name would not start with a letter
or `_`. The original key is kept in a `key` attribute (`<_1_x key="1 x">`), so nothing is lost.
Names are kept to ASCII because parsers disagree about which non-ASCII characters XML allows
in names; colons are avoided because namespace-aware parsers reject unbound prefixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import repeat

from onstream.protocol.document import Document, Value
from onstream.protocol.formats._text import encode_utf8, float_text

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SAFE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_UNSAFE_NAME_CHAR = re.compile(r"[^A-Za-z0-9_.-]")

DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


def render(doc: Document) -> bytes:
    """The document as an XML 1.0 body (UTF-8, declaration first, trailing newline).

    Written first with every string as it is, while the strings are gathered; one search over
    all of them then tells whether any needs escaping, and only then is the body written
    again with each string escaped. Almost no document has such a character, and one search
    costs less than one per string."""
    texts: list[str] = []
    body = _body(doc, texts)
    if _TEXT_SPECIAL.search("".join(texts)) is not None:
        body = _body(doc, None)
    return encode_utf8(body)


def _body(doc: Document, texts: list[str] | None) -> str:
    out: list[str] = [DECLARATION]
    open_tag, close_tag, _ = _tags(doc.root)
    out.append(open_tag)
    _elements(doc.data.items(), doc.item_names, out, texts)
    out.append(close_tag)
    out.append("\n")
    return "".join(out)


def _elements(
    pairs: Iterable[tuple[object, Value]],
    item_names: Mapping[str, str],
    out: list[str],
    texts: list[str] | None,
) -> None:
    """Append an element for each (key, value): a mapping's items or a list's items under
    their item name; strings escaped, or with `texts` written as they are and gathered there
    (see `render`).

    One loop per container, scalars written in it, dispatched on the exact type first (str,
    None, int, dict, list), the types documents are made of: a call per value and
    `isinstance` against `Mapping` and `list | tuple` were most of a page's cost."""
    for key, value in pairs:
        name = key if type(key) is str else str(key)
        open_tag, close_tag, empty_tag = _tags(name)
        kind = type(value)
        if kind is str:
            if texts is None:
                out.append(open_tag + escape_text(value) + close_tag)
            else:
                texts.append(value)
                out.append(open_tag + value + close_tag)
        elif value is None:
            out.append(empty_tag)
        elif kind is int:
            out.append(f"{open_tag}{value}{close_tag}")
        elif kind is dict or (
            kind is not list and kind is not tuple and isinstance(value, Mapping)
        ):
            out.append(open_tag)
            _elements(value.items(), item_names, out, texts)
            out.append(close_tag)
        elif kind is list or kind is tuple or isinstance(value, list | tuple):
            out.append(open_tag)
            _elements(zip(repeat(item_names.get(name, "item")), value), item_names, out, texts)
            out.append(close_tag)
        else:  # booleans, floats, subclasses of str and int: escaped here, whatever `texts`
            out.append(open_tag + _scalar(value) + close_tag)


def _scalar(value: Value) -> str:
    """Text of a non-string scalar: booleans 1/0, numbers as written by Python/PHP."""
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, int):
        return str(value)
    return escape_text(str(value))


def escape_text(text: str) -> str:
    """Character data that stays well-formed and reads back as `text` (see module docs)."""
    if _TEXT_SPECIAL.search(text) is None:
        return text
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\r", "&#13;")
    return _ILLEGAL.sub("\ufffd", text)


def _escape_attribute(text: str) -> str:
    """An attribute value for double quotes; whitespace as references so it survives parsing."""
    text = escape_text(text).replace('"', "&quot;")
    return text.replace("\t", "&#9;").replace("\n", "&#10;")


@lru_cache(maxsize=1024)
def _tags(name: str) -> tuple[str, str, str]:
    """Open, close and empty tag for a key; cached because the same keys repeat per item."""
    if _SAFE_NAME.match(name):
        return f"<{name}>", f"</{name}>", f"<{name}/>"
    safe = _UNSAFE_NAME_CHAR.sub("_", name)
    if not safe or not (safe[0].isascii() and (safe[0].isalpha() or safe[0] == "_")):
        safe = "_" + safe
    attribute = f' key="{_escape_attribute(name)}"'
    return f"<{safe}{attribute}>", f"</{safe}>", f"<{safe}{attribute}/>"
