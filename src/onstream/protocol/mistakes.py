"""Telling a client about parameters it sent that nothing read (docs/decisions.md).

The contract says unknown parameters are ignored: the documentation's own examples send
misspelled ones. Ignored silently, a typo (`timezon`) costs an integrator an afternoon, so
the names are told in an `Onstream-Warning` header and logged at debug level; in strict
mode (`strict/1` as a URL segment or parameter, or the header `Onstream-Strict: 1`) they are
a 400 and nothing is written.

Which names are known is not declared anywhere: `Params` records what the handler asked
for, and the check runs after the handler, inside the request's transaction, so a strict
refusal rolls back whatever the handler wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from onstream.protocol.errors import ApiError, BadRequest
from onstream.protocol.params import Params

log = logging.getLogger("onstream.api")

ENDPOINT_PARAMS = frozenset({"format", "strict"})
"""Parameters the endpoint itself reads, whatever the handler."""
WARNING_HEADER = "Onstream-Warning"
STRICT_HEADER = "Onstream-Strict"
SHOWN_NAMES = 10
"""At most this many names in one message, so a flood of junk makes no giant header."""


def is_strict(params: Params, headers: Mapping[str, str], query: Mapping[str, str]) -> bool:
    """Whether the client asked for unknown parameters to be refused: the header, a `strict`
    parameter, or `strict` in the query string, which writes otherwise ignore (like
    `format`, it is about the request, not its data)."""
    header = headers.get(STRICT_HEADER.lower())
    if header is not None and header.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if params.boolean("strict", default=False):
        return True
    return "strict" in query and Params(query).boolean("strict", default=False)


def unread_names(params: Params, *, strict: bool) -> list[str]:
    """The parameters nothing read; in strict mode, 400 naming them (and the names the
    handler did read)."""
    unread = params.unread(known=ENDPOINT_PARAMS)
    if not unread:
        return []
    if strict:
        read = ", ".join(sorted(params.asked)) or "none"
        raise BadRequest(f"{_describe(unread).capitalize()}; this call reads: {read}")
    log.debug("ignored %s", _describe(unread))
    return unread


def query_ignored(query: Mapping[str, str], *, method: str, strict: bool) -> list[str]:
    """The query-string names a write ignores (it reads its body and URL segments; CONTRACT
    §2); in strict mode, 400 naming them, before anything runs."""
    names = [name for name in query if name not in ENDPOINT_PARAMS]
    if names and strict:
        raise BadRequest(
            f"{method} reads its parameters from the body, not the query string: {_quoted(names)}"
        )
    return names


def tell_unread(error: ApiError, params: Params) -> ApiError:
    """The error with the warning header of the parameters nothing read before it."""
    error.headers.update(warning_headers(params.unread(known=ENDPOINT_PARAMS)))
    return error


def warning_headers(unread: list[str], *, query: Sequence[str] = ()) -> dict[str, str]:
    """The `Onstream-Warning` header naming ignored parameters; none when there are none."""
    parts = [f"{_describe(unread)} ignored"] if unread else []
    if query:
        parts.append(f"query string {_quoted(list(query))} ignored: this method reads the body")
    if not parts:
        return {}
    text = "; ".join(parts)
    # unicode_escape: a header carries neither line breaks nor (safely) non-ASCII text
    return {WARNING_HEADER: text.encode("unicode_escape").decode("ascii")}


def _describe(names: list[str]) -> str:
    noun = "parameter" if len(names) == 1 else "parameters"
    return f"unknown {noun} {_quoted(names)}"


def _quoted(names: list[str]) -> str:
    shown = ", ".join(f"'{name}'" for name in names[:SHOWN_NAMES])
    more = f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else ""
    return f"{shown}{more}"
