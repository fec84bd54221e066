"""The response document: plain data plus the two facts the XML format needs.

Resources build a `Document`; the renderers in `protocol.formats` turn it into bytes.
Values are limited to what every format can express: `None`, `bool`, `int`, `float`,
`str`, lists of values and string-keyed dicts of values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

Value: TypeAlias = Any
"""None | bool | int | float | str | list[Value] | dict[str, Value] (recursive)."""


@dataclass(frozen=True, slots=True)
class Document:
    """One response document.

    `data` is the top-level mapping (`{"sessions": [...]}`, `{"id": 1, "message": ...}`).
    `root` is the XML root element: `root` for GET session/recording/user, else `xml`.
    `item_names` names XML list items by their list (`{"sessions": "session"}`); items of
    any list not named here are `<item>`.
    """

    data: Mapping[str, Value]
    root: str = "xml"
    item_names: Mapping[str, str] = field(default_factory=dict)
