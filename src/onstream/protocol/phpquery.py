"""PHP's `parse_str()`, ported: how a PHP server reads `application/x-www-form-urlencoded`.

The API's clients are PHP programs (the documentation's snippets use cURL with strings built
by hand or by `http_build_query()`), and the server this project replaces was PHP. So a form
body must mean here exactly what it meant to PHP 8.2, quirks included:

- pairs are split on `&` (empty pieces are skipped); a pair without `=` has the value "";
- names and values are percent-decoded, with `+` as a space; a `%` not followed by two hex
  digits stays literal;
- the body ends at the first NUL character, and a decoded name ends at its first NUL byte
  (PHP handles both as C strings; `a%00b=1` sets `a`);
- leading spaces of a name are dropped, and in the top-level part of a name (before the first
  `[`) every space and dot becomes `_`: `a.b` and `a b` both arrive as `a_b`;
- `a[b][c]=v` builds nested arrays; `a[]=v` appends with the next integer key (one more than
  the largest integer key so far, or 0); an index of a single whitespace character counts as
  `[]`; an index may contain `[` (`a[b[c]=v` sets key `b[c`);
- after a closing `]`, anything but another `[` ends the name (`a[b]c=v` sets `a[b]`);
- a name whose first `[` is never closed is not an array: that `[` and any later space, dot
  or `[` become `_` (`a[b.c=v` sets `a_b_c`); an unclosed bracket further in just ends the
  name (`a[b][c=v` sets `a[b]`);
- a name with nothing before its first `[` is dropped;
- later pairs overwrite earlier ones, keeping the first one's position; a plain value is
  replaced by an array when a later name indexes into it, and vice versa.

PHP arrays become dicts with `str` keys: PHP turns canonical decimal keys ("7", "-3", not
"07" or "-0") into integers, whose decimal form is the same string, so nothing is lost.
Two deliberate differences protect the server where PHP would silently drop input: more than
`MAX_VARIABLES` pairs, or names nested deeper than `MAX_DEPTH`, are a `BadRequest`; so is
any name or value that is not UTF-8 after decoding, even in a pair PHP would drop (the rest
of the server works with text).

`parse_php_query` keeps PHP's arrays as dicts, so it can be compared key for key with PHP.
`php_lists` then turns the dicts that PHP itself would call lists into Python lists; that is
the form the rest of the server wants (`invited_participants[0][email]=a` becomes
`{"invited_participants": [{"email": "a"}]}`, the same as the equivalent JSON).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Generic, TypeAlias, TypeVar
from urllib.parse import unquote_to_bytes

from onstream.protocol.errors import BadRequest

MAX_VARIABLES = 1000
"""PHP's `max_input_vars` default: the most name/value pairs one body may carry."""

MAX_DEPTH = 64
"""PHP's `max_input_nesting_level` default: the most `[...]` groups one name may have."""

Leaf = TypeVar("Leaf")

PhpTree: TypeAlias = Leaf | dict[str, "PhpTree[Leaf]"]
"""A value as PHP holds it: a leaf, or an array (a dict with `str` keys, in PHP's order)."""

ListTree: TypeAlias = Leaf | list["ListTree[Leaf]"] | dict[str, "ListTree[Leaf]"]
"""A `PhpTree` after `php_lists`: arrays keyed "0".."n-1" in order are lists."""

PhpValue: TypeAlias = PhpTree[str]
"""A value of a parsed form body, before list conversion."""

FormValue: TypeAlias = ListTree[str]
"""A value of a parsed form body, after list conversion."""

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_INTEGER_KEY = re.compile(r"0|-?[1-9][0-9]{0,18}")
_C_SPACE = frozenset(" \t\n\v\f\r")  # C's isspace() in the "C" locale


def parse_php_query(body: str) -> dict[str, PhpValue]:
    """Decode a form body exactly as PHP 8.2's `parse_str()` does (see the module docstring).

    Raises BadRequest for more than `MAX_VARIABLES` pairs, a name nested deeper than
    `MAX_DEPTH`, or bytes that are not UTF-8 after percent-decoding.
    """
    builder: PhpArrayBuilder[str] = PhpArrayBuilder()
    for name, value in _decoded_pairs(body):
        builder.add(name, value)
    return builder.result()


def build_php_arrays(pairs: Iterable[tuple[str, Leaf]]) -> dict[str, PhpTree[Leaf]]:
    """Arrange already-decoded (name, value) pairs by PHP's bracket rules.

    This is the second half of `parse_php_query`, for inputs that arrive as pairs rather than
    as one encoded string (multipart form fields, whose values may be uploaded files).
    """
    builder: PhpArrayBuilder[Leaf] = PhpArrayBuilder()
    for name, value in pairs:
        builder.add(name, value)
    return builder.result()


def php_lists(tree: Mapping[str, PhpTree[Leaf]]) -> dict[str, ListTree[Leaf]]:
    """Turn every nested array keyed exactly "0", "1", ... "n-1", in that order, into a list.

    That is PHP's own notion of a list (`array_is_list()`; `json_encode()` writes it as a JSON
    array), so form input gets the shape the same data has in JSON input. The top level stays
    a dict because it is the parameter mapping; an empty array stays a dict since nothing says
    which it was (PHP's form syntax cannot produce one anyway). Arrays with other keys, or
    with these keys out of order (`a[1]=x&a[0]=y`), stay dicts.
    """

    def listify(value: PhpTree[Leaf]) -> ListTree[Leaf]:
        # Nested here so that `Leaf` is the caller's: mypy cannot infer it for a recursive
        # generic alias at a module-level call.
        if not isinstance(value, dict):
            return value
        if value and all(key == str(i) for i, key in enumerate(value)):
            return [listify(item) for item in value.values()]
        return {key: listify(item) for key, item in value.items()}

    return {key: listify(value) for key, value in tree.items()}


# --- splitting and decoding ---------------------------------------------------------------


def _decoded_pairs(body: str) -> Iterable[tuple[str, str]]:
    """Split on `&` and percent-decode, as PHP's `php_default_treat_data()` does."""
    body = body.split("\0", 1)[0]
    pieces = [piece for piece in body.split("&") if piece]
    if len(pieces) > MAX_VARIABLES:
        raise BadRequest(
            f"The request has {len(pieces)} parameters; at most {MAX_VARIABLES} are allowed"
        )
    for piece in pieces:
        raw_name, _, raw_value = piece.partition("=")
        name = _utf8(_url_decode(raw_name), None)
        yield name.split("\0", 1)[0], _utf8(_url_decode(raw_value), name)


def _url_decode(text: str) -> bytes:
    """PHP's `php_url_decode()`: `+` is a space, `%XX` a byte, and a stray `%` itself."""
    return unquote_to_bytes(text.replace("+", " "))


def _utf8(data: bytes, name: str | None) -> str:
    """Decoded bytes as text; any pair that is not UTF-8 is refused, even one PHP would drop."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if name is None:
            raise BadRequest("A parameter name is not valid UTF-8 after decoding") from None
        raise BadRequest(f"Parameter '{name}' is not valid UTF-8 after decoding") from None


# --- names ---------------------------------------------------------------------------------


def _split_name(name: str) -> tuple[str, list[str | None]] | None:
    """PHP's reading of a variable name: the top-level key and the indices (None for `[]`).

    Returns None for a name PHP drops (nothing before the first `[`).
    """
    name = name.lstrip(" ")
    bracket = name.find("[")
    top = _mangle(name if bracket < 0 else name[:bracket])
    if not top:
        return None
    if bracket < 0:
        return top, []
    indices: list[str | None] = []
    while True:
        if len(indices) == MAX_DEPTH:
            raise BadRequest(
                f"Parameter '{top}' is nested more than {MAX_DEPTH} levels deep; "
                "flatten the structure"
            )
        index, close = _index_at(name, bracket + 1)
        if close < 0:
            if not indices:  # the first bracket is not closed: not an array after all
                return top + "_" + _mangle(name[bracket + 1 :], also="["), []
            return top, indices
        indices.append(index)
        if not name.startswith("[", close + 1):
            return top, indices
        bracket = close + 1


def _index_at(name: str, start: int) -> tuple[str | None, int]:
    """The index that starts at `start` and the position of its `]` (-1 when there is none).

    Like PHP, one leading whitespace character is skipped when looking for an empty index,
    so `[ ]` means `[]`, but it is kept in a non-empty index (`[ b]` is the key " b").
    """
    probe = start + 1 if name[start : start + 1] in _C_SPACE else start
    if name.startswith("]", probe):
        return None, probe
    close = name.find("]", probe)
    return (name[start:close] if close >= 0 else None), close


def _mangle(text: str, *, also: str = "") -> str:
    """PHP's rule for top-level names: spaces and dots (and `also`) become underscores."""
    for char in " ." + also:
        text = text.replace(char, "_")
    return text


# --- arrays --------------------------------------------------------------------------------


def _integer_key(key: str) -> int | None:
    """The integer PHP makes of an array key, or None when PHP keeps it a string."""
    if not _INTEGER_KEY.fullmatch(key):
        return None
    number = int(key)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


class _PhpArray(Generic[Leaf]):
    """A PHP array under construction: ordered items plus PHP's next free integer key."""

    def __init__(self) -> None:
        self.items: dict[str, Leaf | _PhpArray[Leaf]] = {}
        self.next_free: int | None = None  # None: no integer key yet, `[]` uses 0

    def set(self, key: str, value: Leaf | _PhpArray[Leaf]) -> None:
        """Assign like PHP: an existing key keeps its position; integer keys move `next_free`."""
        self.items[key] = value
        number = _integer_key(key)
        if number is not None and (self.next_free is None or number >= self.next_free):
            self.next_free = min(number + 1, _INT64_MAX)

    def append(self, value: Leaf | _PhpArray[Leaf]) -> bool:
        """`$array[] = value`; False when PHP refuses (the largest key is PHP_INT_MAX)."""
        key = str(self.next_free if self.next_free is not None else 0)
        if key in self.items:
            return False
        self.set(key, value)
        return True

    def child(self, key: str | None) -> _PhpArray[Leaf] | None:
        """The array at `key`, made (or replacing a plain value) when needed; None if refused."""
        if key is None:
            fresh: _PhpArray[Leaf] = _PhpArray()
            return fresh if self.append(fresh) else None
        existing = self.items.get(key)
        if isinstance(existing, _PhpArray):
            return existing
        made: _PhpArray[Leaf] = _PhpArray()
        self.set(key, made)
        return made

    def export(self) -> dict[str, PhpTree[Leaf]]:
        return {
            key: value.export() if isinstance(value, _PhpArray) else value
            for key, value in self.items.items()
        }


class PhpArrayBuilder(Generic[Leaf]):
    """Collects (name, value) pairs into nested arrays the way PHP registers request variables."""

    def __init__(self) -> None:
        self._root: _PhpArray[Leaf] = _PhpArray()

    def add(self, name: str, value: Leaf) -> None:
        """Store `value` under the decoded `name`, as PHP's `php_register_variable_ex()`."""
        split = _split_name(name)
        if split is None:
            return
        key: str | None
        key, indices = split
        target: _PhpArray[Leaf] | None = self._root
        for index in indices:
            assert target is not None  # the loop stops as soon as it becomes None
            target = target.child(key)
            if target is None:
                return  # PHP drops the value when `[]` cannot append
            key = index
        assert target is not None
        if key is None:
            target.append(value)
        else:
            target.set(key, value)

    def result(self) -> dict[str, PhpTree[Leaf]]:
        """The arrays built so far, as dicts in PHP's order."""
        return self._root.export()
