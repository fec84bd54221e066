"""The type of a decoded request parameter, shared by the body decoder and `Params`."""

from __future__ import annotations

from typing import TypeAlias

from starlette.datastructures import UploadFile

Value: TypeAlias = "str | int | float | bool | UploadFile | list[Value] | dict[str, Value] | None"
"""A parameter value: form text, any JSON value, an uploaded file, or nested lists/dicts."""
