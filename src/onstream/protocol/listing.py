"""Parameters every list resource shares: `return` field selection and paging (CONTRACT §5).

.../sessions/return/id;topic;start_time/count/10/offset/20/order/desc
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from onstream.protocol.errors import BadRequest
from onstream.protocol.params import Params

COUNT_DEFAULT, COUNT_MAX = 100, 1000
RESOURCE_INDEX = 4
"""Where the resource sits in `/api/{ver}/{login}/{resource}` split on `/`."""


@dataclass(frozen=True, slots=True)
class Paging:
    """Which slice of a list to answer with."""

    count: int
    offset: int
    descending: bool


@dataclass(frozen=True, slots=True)
class Listed:
    """A page of a list and the list's total: the endpoint tells them in headers
    (`X-Total-Count`, `Link: <...>; rel="next"`), leaving the document as documented."""

    total: int
    page: Paging


def list_headers(listed: Listed, *, path: str, query: Mapping[str, str]) -> dict[str, str]:
    """`X-Total-Count`, and a `Link` to the next page when there is one.

    The next page's URL is the request's own with `offset` moved on: in its URL segment
    when the request had one there, else in the query string."""
    headers = {"X-Total-Count": str(listed.total)}
    following = listed.page.offset + listed.page.count
    if following < listed.total:
        headers["Link"] = f'<{_with_offset(path, query, following)}>; rel="next"'
    return headers


def _with_offset(path: str, query: Mapping[str, str], offset: int) -> str:
    """`path` is the raw (still percent-encoded) `/api/{ver}/{login}/{resource}/...`."""
    parts = path.split("/")
    keys = [i for i in range(RESOURCE_INDEX + 1, len(parts) - 1, 2) if parts[i] == "offset"]
    if keys:
        value = parts[keys[-1] + 1]
        suffix = value[value.index(".") :] if "." in value else ""
        parts[keys[-1] + 1] = f"{offset}{suffix}"
        rest = {k: v for k, v in query.items() if k != "offset"}
    else:
        rest = {**query, "offset": str(offset)}
    url = "/".join(parts)
    return f"{url}?{urlencode(rest)}" if rest else url


def paging(params: Params) -> Paging:
    """`count` (1-1000, default 100), `offset` (>= 0, default 0), `order` (asc|desc)."""
    count = params.integer("count", default=COUNT_DEFAULT, min=1, max=COUNT_MAX)
    offset = params.integer("offset", default=0, min=0)
    order = params.choice("order", ("asc", "desc"), default="asc")
    return Paging(count=count, offset=offset, descending=order == "desc")


def returned_fields(
    params: Params, *, available: Sequence[str], default: Sequence[str]
) -> tuple[str, ...]:
    """The fields named by `return` (semicolon-separated), or the default set.

    Unknown names are 400, so a typo does not silently drop a column the client relies on.
    """
    raw = params.text("return")
    if not raw:
        return tuple(default)
    names = tuple(dict.fromkeys(n.strip() for n in raw.split(";") if n.strip()))
    unknown = [n for n in names if n not in available]
    if unknown:
        raise BadRequest(
            f"Unknown field '{unknown[0]}' in return; available: {', '.join(available)}"
        )
    return names or tuple(default)
