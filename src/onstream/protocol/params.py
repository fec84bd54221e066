"""Request parameters (CONTRACT §2): decoding bodies, merging sources, typed access.

Bodies come in four encodings, all accepted with PUT, POST and DELETE:

1. `application/x-www-form-urlencoded`, with PHP bracket names (`a[0][email]=...`), decoded
   by `phpquery` exactly as PHP's `parse_str` would;
2. `input_type=json&rest_data=<JSON>`: the documented approach. The documentation's own
   snippets build this body as `'input_type=json&rest_data=' . json_encode($parameters)`
   *without* URL-encoding the JSON, so a `&`, `+` or `%` inside a JSON string would be mangled
   by a form decoder. When the body is exactly that prefix followed by text that parses as
   JSON, that text is used as it is; otherwise the form-decoded `rest_data` value is parsed.
   `rest_data` may be an object, or a list whose first element is the object (`[]` means no
   parameters, which is what `json_encode(array())` sends). Other form fields are merged
   underneath it;
3. a raw `application/json` body (object, or list whose first element is one);
4. `multipart/form-data`, whose file parts stay `UploadFile` objects.

A body that claims JSON but does not parse is 400 and names the problem; so is a body that is
not UTF-8. Unknown parameters are ignored, never an error.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar, overload
from urllib.parse import quote

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request

from onstream.protocol.errors import BadRequest, PayloadTooLarge
from onstream.protocol.phpquery import as_lists, parse_php_query

T = TypeVar("T")

_RAW_REST_DATA = re.compile(r"input_type=json&rest_data=(?P<json>[\[{].*)\Z", re.DOTALL)
_INTEGER = re.compile(r"[+-]?\d+")
_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"0", "false", "off", "no", ""})


async def read_body_params(request: Request, *, max_body: int) -> dict[str, Any]:
    """The parameters a PUT, POST or DELETE body carries, in any of the four encodings."""
    content_type = request.headers.get("content-type", "").lower()
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body:
        raise PayloadTooLarge(f"The request body is larger than {max_body} bytes")
    if content_type.startswith("multipart/form-data"):
        return await _multipart(request)
    body = await _read_limited(request, max_body)
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8") from None
    if content_type.startswith("application/json") or content_type.endswith("+json"):
        return _json_object(text, what="The JSON body")
    return _form(text)


async def _read_limited(request: Request, max_body: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise PayloadTooLarge(f"The request body is larger than {max_body} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _form(text: str) -> dict[str, Any]:
    """Form fields, with `input_type=json&rest_data=` unpacked on top of them."""
    raw = _RAW_REST_DATA.match(text)
    if raw is not None:
        try:
            return _first_object(orjson.loads(raw.group("json")), what="rest_data")
        except orjson.JSONDecodeError:
            pass  # the JSON was URL-encoded after all: decode the form below
    fields = as_lists(parse_php_query(text))
    input_type = fields.pop("input_type", None)
    rest_data = fields.pop("rest_data", None)
    if input_type is None and rest_data is None:
        return dict(fields)
    if not isinstance(input_type, str) or input_type.lower() != "json":
        raise BadRequest(f"input_type must be 'json', not {input_type!r}")
    if not isinstance(rest_data, str):
        raise BadRequest("rest_data must be a JSON object when input_type is json")
    return {**fields, **_json_object(rest_data, what="rest_data")}


def _json_object(text: str, *, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"{what} is not valid JSON: {exc}") from None
    return _first_object(value, what=what)


def _first_object(value: Any, *, what: str) -> dict[str, Any]:
    """The object itself, or the first element of a list of objects (`[]`: no parameters)."""
    if isinstance(value, list):
        if not value:
            return {}
        value = value[0]
    if not isinstance(value, dict):
        raise BadRequest(f"{what} must be a JSON object of parameters")
    return value


async def _multipart(request: Request) -> dict[str, Any]:
    """Multipart fields nested by their PHP bracket names; file parts stay `UploadFile`s."""
    try:
        form = await request.form()
    except Exception as exc:  # noqa: BLE001  # python-multipart's errors share no base class
        raise BadRequest(f"The multipart body cannot be read: {exc}") from None
    marker = f"\0upload-{secrets.token_hex(8)}-"
    files: dict[str, UploadFile] = {}
    pairs = []
    for index, (name, value) in enumerate(form.multi_items()):
        if isinstance(value, UploadFile):
            files[f"{marker}{index}"] = value
            value = f"{marker}{index}"
        pairs.append(f"{quote(name, safe='[]')}={quote(value, safe='')}")
    return _put_files_back(as_lists(parse_php_query("&".join(pairs))), files)  # type: ignore[no-any-return]


def _put_files_back(value: Any, files: Mapping[str, UploadFile]) -> Any:
    if isinstance(value, str):
        return files.get(value, value)
    if isinstance(value, list):
        return [_put_files_back(v, files) for v in value]
    if isinstance(value, dict):
        return {k: _put_files_back(v, files) for k, v in value.items()}
    return value


def merge_params(
    *,
    segments: Mapping[str, str],
    query: Mapping[str, str],
    body: Mapping[str, Any] | None,
    method: str,
) -> dict[str, Any]:
    """GET: URL segments over the query string. PUT/POST/DELETE: body over URL segments,
    and the query string is ignored (its `format` is read elsewhere)."""
    if method in ("GET", "HEAD"):
        return {**query, **segments}
    return {**segments, **(body or {})}


class Params:
    """Typed, validated access to a request's parameters; errors name the parameter."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    @property
    def mapping(self) -> Mapping[str, Any]:
        """Every parameter as decoded."""
        return self._values

    def has(self, name: str) -> bool:
        """Whether the parameter was given at all (even empty)."""
        return name in self._values

    def raw(self, name: str) -> Any:
        """The decoded value (nested lists and mappings included), or None."""
        return self._values.get(name)

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
        """A string parameter; numbers are taken as their decimal text."""
        value = self._values.get(name)
        if value is None:
            if required:
                raise BadRequest(f"Parameter '{name}' is required")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise BadRequest(f"Parameter '{name}' must be a string")
        text = value if isinstance(value, str) else str(value)
        if strip:
            text = text.strip()
        if min_length is not None and len(text) < min_length:
            raise BadRequest(f"Parameter '{name}' must be at least {min_length} characters long")
        if max_length is not None and len(text) > max_length:
            raise BadRequest(f"Parameter '{name}' must be at most {max_length} characters long")
        return text

    @overload
    def integer(
        self, name: str, *, required: Literal[True], min: int | None = ..., max: int | None = ...
    ) -> int: ...
    @overload
    def integer(
        self, name: str, *, default: int, min: int | None = ..., max: int | None = ...
    ) -> int: ...
    @overload
    def integer(self, name: str, *, min: int | None = ..., max: int | None = ...) -> int | None: ...
    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        default: int | None = None,
        min: int | None = None,  # `min=1, max=10` reads best at call sites
        max: int | None = None,
    ) -> int | None:
        """A whole number from a JSON number or a decimal string; anything else is 400."""
        value = self._values.get(name)
        if value is None:
            if required:
                raise BadRequest(f"Parameter '{name}' is required")
            return default
        number = _as_int(value)
        if (
            number is None
            or (min is not None and number < min)
            or (max is not None and number > max)
        ):
            raise BadRequest(f"Parameter '{name}' must be {_range_text(min, max)}")
        return number

    def boolean(self, name: str, *, default: bool | None = None) -> bool | None:
        """1/0, true/false (any case), on/off, yes/no, or a JSON boolean."""
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
        raise BadRequest(f"Parameter '{name}' must be 1 or 0 (true or false)")

    def choice(
        self, name: str, options: Iterable[str], *, default: str | None = None
    ) -> str | None:
        """One of a fixed set of words (case-insensitive)."""
        allowed = tuple(options)
        value = self.text(name)
        if value is None or value == "":
            return default
        lowered = value.lower()
        if lowered not in allowed:
            raise BadRequest(f"Parameter '{name}' must be one of {', '.join(allowed)}")
        return lowered


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _range_text(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"a whole number between {low} and {high}"
    if low is not None:
        return f"a whole number of at least {low}"
    if high is not None:
        return f"a whole number of at most {high}"
    return "a whole number"
