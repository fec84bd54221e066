"""PHP's `parse_str()` for form bodies, so bracket names nest exactly as PHP nests them.

    invited_participants[0][email]=a@b.c&invited_participants[0][role]=1&tags[]=x&tags[]=y

becomes `{"invited_participants": {"0": {"email": "a@b.c", "role": "1"}}, "tags": {"0": "x",
"1": "y"}}`; `as_lists` then turns every mapping whose keys are exactly "0".."n-1" into a
list, the shape the JSON body encodings give. The rules follow PHP 8's
`php_register_variable_ex`: spaces and dots in the top-level name become `_`, a `[` that
is never closed becomes `_` too (and ends the bracket parsing), text after the last `]` is
dropped, `[]` appends with the next integer key, later duplicates overwrite earlier ones, and
a scalar is silently replaced when a later name nests below it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from onstream.protocol.errors import BadRequest

MAX_DEPTH = 64
"""PHP's max_input_nesting_level."""
MAX_VARS = 1000
"""PHP's max_input_vars."""


def parse_php_query(body: str) -> dict[str, Any]:
    """Parse an `application/x-www-form-urlencoded` body as PHP's `parse_str` does."""
    result: dict[str, Any] = {}
    pairs = [p for p in body.split("&") if p]
    if len(pairs) > MAX_VARS:
        raise BadRequest(f"The request has more than {MAX_VARS} form fields")
    for pair in pairs:
        raw_name, _, raw_value = pair.partition("=")
        name, value = unquote_plus(raw_name), unquote_plus(raw_value)
        _register(result, name, value)
    return result


def _register(target: dict[str, Any], name: str, value: Any) -> None:
    """Store one variable, following PHP's name rules."""
    name = name.lstrip(" ")
    if "\0" in name:
        name = name.split("\0", 1)[0]
    base, keys = _split_name(name)
    if not base:
        return
    if len(keys) > MAX_DEPTH:
        raise BadRequest(f"Form field '{base}' is nested deeper than {MAX_DEPTH} levels")
    if not keys:
        target[base] = value
        return
    node = target
    path = [base, *keys]
    for index, key in enumerate(path[:-1]):
        child = node.get(key) if key is not None else None
        if key is None:
            key = _next_index(node)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
        path[index] = key
    last = path[-1]
    node[_next_index(node) if last is None else last] = value


def _split_name(name: str) -> tuple[str, list[str | None]]:
    """The top-level name (mangled as PHP does) and the bracket keys (None for `[]`)."""
    open_at = name.find("[")
    if open_at == 0:
        return "", []  # PHP ignores a variable whose name starts with a bracket
    if open_at < 0 or "]" not in name[open_at:]:
        # No usable brackets: the whole name is the variable; PHP turns ' ', '.' and an
        # unmatched '[' into '_' (only the first '[' — after it nothing is mangled).
        return _mangle(name), []
    base = _mangle(name[:open_at])
    keys: list[str | None] = []
    rest = name[open_at:]
    while rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            break
        key = rest[1:close]
        keys.append(key if key != "" else None)
        rest = rest[close + 1 :]
    return base, keys


def _mangle(name: str) -> str:
    out = []
    seen_bracket = False
    for ch in name:
        if seen_bracket:
            out.append(ch)
        elif ch in " .":
            out.append("_")
        elif ch == "[":
            out.append("_")
            seen_bracket = True
        else:
            out.append(ch)
    return "".join(out)


def _next_index(node: dict[str, Any]) -> str:
    """The key `[]` appends with: one more than the largest integer key so far (PHP)."""
    ints = [int(k) for k in node if _is_int_key(k)]
    return str(max(ints) + 1 if ints else 0)


def _is_int_key(key: str) -> bool:
    """Whether PHP would store this key as an integer ("0", "12", "-3"; not "01" or "+1")."""
    digits = key[1:] if key.startswith("-") else key
    return digits.isdigit() and (digits == "0" or not digits.startswith("0")) and key != "-0"


def as_lists(value: Any) -> Any:
    """Turn every mapping with keys exactly "0".."n-1" (in order) into a list, recursively."""
    if not isinstance(value, dict):
        return value
    converted = {k: as_lists(v) for k, v in value.items()}
    if converted and list(converted) == [str(i) for i in range(len(converted))]:
        return list(converted.values())
    return converted
