"""Request parameters (CONTRACT §2): merging the request's sources, and typed access.

Bodies are decoded by `protocol.bodies`. `Params` is the typed view every resource reads.
It records the name of every parameter a handler asks for, so the endpoint can tell a
client which of the names it sent were read by nobody (`Params.unread`): unknown parameters
are ignored, as the contract says, but named in a warning header, and refused in strict
mode.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Literal, cast, overload

from starlette.datastructures import UploadFile

from onstream.protocol.bodies import parse_json
from onstream.protocol.errors import BadRequest
from onstream.protocol.values import Value

READ_METHODS = frozenset({"GET", "HEAD"})

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
ID_MAX = 2**31 - 1
"""The largest record id: ids are `integer` columns, 32 bits in PostgreSQL, so a larger one
names no record (and is refused with 400 before it reaches the database)."""
_DIGITS = re.compile(r"[+-]?[0-9]{1,40}")
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off"})


# --- merging sources -----------------------------------------------------------------------


def merge_params(
    *,
    segments: Mapping[str, str],
    query: Mapping[str, str],
    body: Mapping[str, Value] | None,
    method: str,
) -> dict[str, Value]:
    """One mapping from the request's sources, by the documented precedence.

    GET (and HEAD): URL key/value segments over the query string; a body is ignored.
    Every other method: the body over the segments (`DELETE .../session/id/7` works, and a
    body `id` wins), and the query string is ignored, as the documentation says.
    """
    merged: dict[str, Value] = {}
    if method.upper() in READ_METHODS:
        merged.update(query)
        merged.update(segments)
    else:
        merged.update(segments)
        merged.update(body or {})
    return merged


# --- typed access --------------------------------------------------------------------------


class Params:
    """Typed, validated access to a request's parameters.

    Every accessor returns None (or its `default`) when the parameter is missing or JSON
    null, and raises BadRequest with one sentence naming the parameter when it is present but
    unusable, so handlers never see a half-valid value and nothing gets written.
    """

    __slots__ = ("_asked", "_path", "_values")

    def __init__(self, values: Mapping[str, Value], *, path: str = "") -> None:
        """`path` names where these values sit inside a bigger request, for error messages
        (`invited_participants[0]`); top-level parameters have none."""
        self._values: dict[str, Value] = dict(values)
        self._path = path
        self._asked: set[str] = set()

    def _label(self, name: str) -> str:
        return f"{self._path}[{name}]" if self._path else name

    @property
    def asked(self) -> frozenset[str]:
        """The names a handler asked for so far, sent or not."""
        return frozenset(self._asked)

    def unread(self, *, known: frozenset[str] = frozenset()) -> list[str]:
        """The names sent that no handler asked for and `known` does not list, in the
        order they were sent: the parameters this request ignored."""
        return [name for name in self._values if name not in self._asked and name not in known]

    @property
    def mapping(self) -> Mapping[str, Value]:
        """Every parameter as decoded (read-only)."""
        return MappingProxyType(self._values)

    def has(self, name: str) -> bool:
        """Whether the parameter was sent at all, even empty or null (for partial updates)."""
        self._asked.add(name)
        return name in self._values

    def raw(self, name: str) -> Value:
        """The value as decoded, nested lists and dicts included; None when missing."""
        self._asked.add(name)
        return self._values.get(name)

    def nested(self, name: str) -> list[Params]:
        """The entries of a list-of-objects parameter (`invited_participants`), each as Params.

        Accepted shapes, all meaning the same list: a JSON array of objects; a PHP form array
        (`name[0][email]=...`, numbered from anywhere, since PHP code would just loop over it);
        a single object (one entry); or any of these as JSON text, because the documentation
        describes these parameters as "JSON array" and form clients send them as a string.
        Missing, null or blank text means no entries.
        """
        value = self.raw(name)
        label = self._label(name)
        if isinstance(value, str):
            if not value.strip():
                return []
            value = cast(Value, parse_json(value, what=f"Parameter '{label}'"))
        return [
            Params(entry, path=f"{label}[{index}]")
            for index, entry in enumerate(_entries(label, value))
        ]

    def _given(self, name: str, required: bool) -> Value:
        value = self.raw(name)
        if value is None and required:
            raise BadRequest(f"Parameter '{self._label(name)}' is required")
        return value

    @overload
    def text(
        self,
        name: str,
        *,
        required: Literal[True],
        default: str | None = ...,
        max_length: int | None = ...,
        min_length: int | None = ...,
        strip: bool = ...,
    ) -> str: ...
    @overload
    def text(
        self,
        name: str,
        *,
        required: bool = ...,
        default: str,
        max_length: int | None = ...,
        min_length: int | None = ...,
        strip: bool = ...,
    ) -> str: ...
    @overload
    def text(
        self,
        name: str,
        *,
        required: bool = ...,
        default: None = ...,
        max_length: int | None = ...,
        min_length: int | None = ...,
        strip: bool = ...,
    ) -> str | None: ...
    def text(
        self,
        name: str,
        *,
        required: bool = False,
        default: str | None = None,
        max_length: int | None = None,
        min_length: int | None = None,
        strip: bool = True,
    ) -> str | None:
        """A text parameter; JSON numbers count as their decimal text.

        Surrounding whitespace is removed unless `strip=False` (passwords, titles kept
        verbatim). An empty value is returned as "" (the caller decides what it means),
        except that a required parameter must not be empty. Lengths count characters.
        """
        value = self._given(name, required)
        if value is None:
            return default
        text = _as_text(self._label(name), value)
        if strip:
            text = text.strip()
        if required and not text:
            raise BadRequest(f"Parameter '{self._label(name)}' must not be empty")
        _check_length(self._label(name), text, min_length, max_length)
        return text

    @overload
    def integer(
        self,
        name: str,
        *,
        required: Literal[True],
        default: int | None = ...,
        min: int | None = ...,
        max: int | None = ...,
    ) -> int: ...
    @overload
    def integer(
        self,
        name: str,
        *,
        required: bool = ...,
        default: int,
        min: int | None = ...,
        max: int | None = ...,
    ) -> int: ...
    @overload
    def integer(
        self,
        name: str,
        *,
        required: bool = ...,
        default: None = ...,
        min: int | None = ...,
        max: int | None = ...,
    ) -> int | None: ...
    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        default: int | None = None,
        min: int | None = None,  # `min=1, max=1000` reads best at call sites
        max: int | None = None,
    ) -> int | None:
        """A whole number: a JSON integer (or a float without a fraction) or a decimal string.

        "12", " -3 " and "+7" are accepted; "abcd", "1.5", "", booleans and fractions are 400.
        Values always fit a signed 64-bit integer (what the database stores).
        """
        value = self._given(name, required)
        if value is None:
            return default
        number = _whole_number(value)
        if number is None or not _in_range(number, min, max):
            raise BadRequest(
                f"Parameter '{self._label(name)}' must be {_whole_number_rule(min, max)}"
            )
        if not _INT64_MIN <= number <= _INT64_MAX:
            rule = _whole_number_rule(_INT64_MIN, _INT64_MAX)
            raise BadRequest(f"Parameter '{self._label(name)}' must be {rule}")
        return number

    @overload
    def boolean(
        self, name: str, *, required: Literal[True], default: bool | None = ...
    ) -> bool: ...
    @overload
    def boolean(self, name: str, *, required: bool = ..., default: bool) -> bool: ...
    @overload
    def boolean(self, name: str, *, required: bool = ..., default: None = ...) -> bool | None: ...
    def boolean(
        self, name: str, *, required: bool = False, default: bool | None = None
    ) -> bool | None:
        """A yes/no parameter: JSON true/false, 1/0 (number or text), or the words true/false,
        yes/no, on/off in any case (yes/no and on/off because people and HTML checkboxes send
        them, and they cannot mean anything else). Anything else, "" included, is 400.
        """
        value = self._given(name, required)
        if value is None:
            return default
        flag = _flag(value)
        if flag is None:
            raise BadRequest(f"Parameter '{self._label(name)}' must be 1 or 0, true or false")
        return flag

    @overload
    def choice(
        self,
        name: str,
        options: Sequence[str],
        *,
        required: Literal[True],
        default: str | None = ...,
    ) -> str: ...
    @overload
    def choice(
        self, name: str, options: Sequence[str], *, required: bool = ..., default: str
    ) -> str: ...
    @overload
    def choice(
        self, name: str, options: Sequence[str], *, required: bool = ..., default: None = ...
    ) -> str | None: ...
    def choice(
        self,
        name: str,
        options: Sequence[str],
        *,
        required: bool = False,
        default: str | None = None,
    ) -> str | None:
        """One of `options`, matched ignoring case and surrounding space; returns the option."""
        value = self._given(name, required)
        if value is None:
            return default
        if isinstance(value, str | int) and not isinstance(value, bool):
            wanted = str(value).strip().casefold()
            for option in options:
                if option.casefold() == wanted:
                    return option
        raise BadRequest(f"Parameter '{self._label(name)}' must be one of: {', '.join(options)}")


def _entries(label: str, value: Value) -> list[dict[str, Value]]:
    if value is None:
        return []
    if isinstance(value, dict):
        nested = list(value.values())
        is_array = bool(nested) and all(isinstance(entry, dict) for entry in nested)
        value = nested if is_array else [value]
    if isinstance(value, list) and all(isinstance(entry, dict) for entry in value):
        return cast(list[dict[str, Value]], value)
    raise BadRequest(f"Parameter '{label}' must be a list of objects")


def _kind(value: Value) -> str:
    """How a value that is not text reads in an error message."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, UploadFile):
        return "a file upload"
    return "a list" if isinstance(value, list) else "an object"


def _as_text(name: str, value: Value) -> str:
    if isinstance(value, str):
        if "\0" in value:
            raise BadRequest(f"Parameter '{name}' must not contain NUL characters")
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BadRequest(f"Parameter '{name}' must be text, not {_kind(value)}")


def _check_length(name: str, text: str, low: int | None, high: int | None) -> None:
    if (low is None or len(text) >= low) and (high is None or len(text) <= high):
        return
    if low is not None and high is not None:
        rule = f"between {low} and {high} characters long"
    elif low is not None:
        rule = f"at least {low} characters long"
    else:
        rule = f"at most {high} characters long"
    raise BadRequest(f"Parameter '{name}' must be {rule}")


def _whole_number(value: Value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _in_range(number: int, low: int | None, high: int | None) -> bool:
    return (low is None or number >= low) and (high is None or number <= high)


def _whole_number_rule(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"a whole number between {low} and {high}"
    if low is not None:
        return f"a whole number of at least {low}"
    if high is not None:
        return f"a whole number of at most {high}"
    return "a whole number"


def _flag(value: Value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS or word in _FALSE_WORDS:
            return word in _TRUE_WORDS
    return None
