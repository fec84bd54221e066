"""Parameters every list resource shares: `return` field selection and paging (CONTRACT §5).

.../sessions/return/id;topic;start_time/count/10/offset/20/order/desc
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from onstream.protocol.errors import BadRequest
from onstream.protocol.params import Params

COUNT_DEFAULT, COUNT_MAX = 100, 1000


@dataclass(frozen=True, slots=True)
class Paging:
    """Which slice of a list to answer with."""

    count: int
    offset: int
    descending: bool


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
