"""Request bodies (CONTRACT §2): the four encodings PUT, POST and DELETE may use.

Existing integrations are PHP programs written from the documentation, so the body decoder
accepts what they send, byte for byte. PUT, POST and DELETE bodies may be:

1. `application/x-www-form-urlencoded`: decoded exactly as PHP's `parse_str()` would
   (`phpquery`), bracket names included (`invited_participants[0][email]=a@b.c`); arrays
   keyed 0..n-1 become lists, so form input has the same shape as JSON input.
2. `input_type=json&rest_data=<JSON>`, the documented approach. `rest_data` may be an object,
   or an array whose first element is the object (`[]`, which `json_encode(array())` sends,
   means no parameters). The other form fields are merged underneath it (rest_data wins),
   and `input_type` other than `json` is 400. The documentation's snippets build this body as
   `'input_type=json&rest_data=' . json_encode($parameters)` *without* URL-encoding the JSON,
   so a JSON string holding `&`, `+`, `%` or `=` ("Tom & Jerry", "a+b@x.com") would be
   mangled by a form decoder. The rule: where `rest_data=` starts a pair, the raw text after
   it is read as JSON first; if a JSON value parses there and is followed by nothing or by
   `&` and more pairs, that value is rest_data. Otherwise (the client URL-encoded the JSON,
   as `http_build_query` or `encodeURIComponent` do, and `%7B` is not JSON) the form-decoded
   value is parsed instead. `rest_data` without `input_type` is read as JSON too: JSON is the
   only input type there is.
3. A raw JSON body (`application/json`, `text/json`, `*/*+json`): an object, or an array whose
   first element is one. A body of any other non-multipart type that starts (after
   whitespace) with `{` or `[` is read as JSON as well: `curl -d '{"topic": ...}'` labels it
   form-urlencoded, and as a form it could mean nothing (PHP drops a name starting with `[`).
4. `multipart/form-data`: fields are text, file parts stay starlette `UploadFile`s, and field
   names follow the same PHP bracket rules; `input_type`/`rest_data` work here as in (2).
   Text parts are decoded by starlette, which falls back to Latin-1 for bytes that are not
   UTF-8 instead of refusing them.

An empty body means no parameters, whatever its type. A missing or unknown content type is
read as form-urlencoded: that is what PHP's cURL sends for a string body. Errors are 400 with
one sentence naming the problem: a body that claims JSON but does not parse, bytes that are
not UTF-8, a nesting deeper than 64 levels or more than 1000 form pairs (PHP's limits). A body
beyond `max_body` bytes is 413, found without reading more than `max_body` bytes.

"""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncGenerator, Iterable, Iterator, Mapping
from contextlib import aclosing
from typing import cast

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from onstream.protocol.errors import BadRequest, PayloadTooLarge
from onstream.protocol.phpquery import (
    MAX_DEPTH,
    MAX_VARIABLES,
    build_php_arrays,
    parse_php_query,
    php_lists,
)
from onstream.protocol.values import Value

_DECLARED_LENGTH = re.compile(r"[0-9]+")
_REST_DATA = re.compile(r"(?:^|&)rest_data=")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ENVELOPE = ("input_type", "rest_data")

MULTIPART_MARGIN_BYTES = 1024 * 1024
"""Room for a multipart body's framing and text fields beside its largest upload: a
multipart body may be this much larger than the upload limit."""


# --- reading the body ----------------------------------------------------------------------


async def read_body_params(request: Request, *, max_body: int) -> dict[str, Value]:
    """The parameters of a PUT, POST or DELETE body, in any of the encodings described above.

    Consumes the request's body stream. File uploads are returned open; the caller closes
    them (`close_uploads`) when the request is done.
    """
    _check_declared_length(request, max_body)
    media_type = _media_type(request.headers.get("content-type"))
    if media_type == "multipart/form-data":
        return await _multipart_params(request, max_body)
    text = _utf8_body(await _read_body(request, max_body))
    if not text.strip():
        return {}
    if _is_json_media(media_type) or text.lstrip()[:1] in ("{", "["):
        return _first_object(parse_json(text, what="The request body"), what="The JSON body")
    return _form_params(text)


async def close_uploads(values: Mapping[str, Value]) -> None:
    """Close every `UploadFile` among `values`, however deeply nested (their temp files)."""
    for upload in _uploads(values.values()):
        await upload.close()


def _check_declared_length(request: Request, max_body: int) -> None:
    """Refuse early when the client announces a body beyond the limit."""
    declared = request.headers.get("content-length", "")
    if _DECLARED_LENGTH.fullmatch(declared) and int(declared) > max_body:
        raise _too_large(max_body)


def _too_large(max_body: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than the limit of {max_body} bytes")


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _is_json_media(media_type: str) -> bool:
    return media_type in ("application/json", "text/json") or media_type.endswith("+json")


async def _limited_stream(request: Request, max_body: int) -> AsyncGenerator[bytes, None]:
    """The body's chunks, stopping with 413 as soon as more than `max_body` bytes arrived."""
    size = 0
    async with aclosing(request.stream()) as chunks:
        async for chunk in chunks:
            size += len(chunk)
            if size > max_body:
                raise _too_large(max_body)
            yield chunk


async def _read_body(request: Request, max_body: int) -> bytes:
    async with aclosing(_limited_stream(request, max_body)) as stream:
        return b"".join([chunk async for chunk in stream])


def _utf8_body(raw: bytes) -> str:
    """The body as text; a UTF-8 byte order mark is dropped, other non-UTF-8 bytes are 400."""
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"The request body is not valid UTF-8 (byte {raw[exc.start]:#04x} at position "
            f"{exc.start})"
        ) from None


# --- form bodies and the input_type/rest_data envelope -------------------------------------


def _form_params(text: str) -> dict[str, Value]:
    """A form body; `rest_data` is read raw first (see the module docstring), then decoded."""
    raw = _split_raw_rest_data(text)
    if raw is not None:
        fields, document = raw
        return _merge_rest_data(fields, document)
    return _unwrap_envelope(_form_fields(text))


def _form_fields(text: str) -> dict[str, Value]:
    # Every form value (str, list, dict of those) is a Value; the containers are fresh.
    return cast(dict[str, Value], php_lists(parse_php_query(text)))


def _split_raw_rest_data(text: str) -> tuple[dict[str, Value], object] | None:
    """The other form fields and the raw JSON after `rest_data=`, or None if it isn't JSON."""
    match = _REST_DATA.search(text)
    if match is None:
        return None
    try:
        document, end = _DECODER.raw_decode(text, match.end())
    except (ValueError, RecursionError):
        return None
    tail = text[end:]
    if tail.strip() and not tail.startswith("&"):
        return None
    _check_json_tree(document, what="rest_data", depth=0)
    return _form_fields(text[: match.start()] + "&" + tail), document


def _unwrap_envelope(fields: dict[str, Value]) -> dict[str, Value]:
    """Apply `input_type`/`rest_data` when the (already decoded) fields carry them."""
    if not any(name in fields for name in _ENVELOPE):
        return fields
    _check_input_type(fields.get("input_type"))
    document = parse_json(_rest_data_text(fields.get("rest_data")), what="rest_data")
    return _merge_rest_data(fields, document)


def _merge_rest_data(fields: Mapping[str, Value], document: object) -> dict[str, Value]:
    """rest_data's parameters over the other fields; the envelope itself is not a parameter."""
    _check_input_type(fields.get("input_type"))
    merged = {name: value for name, value in fields.items() if name not in _ENVELOPE}
    merged.update(_first_object(document, what="rest_data"))
    return merged


def _check_input_type(value: Value) -> None:
    if value is None or (isinstance(value, str) and value.strip().lower() == "json"):
        return
    shown = f"'{value}'" if isinstance(value, str) else "given as bracketed fields"
    raise BadRequest(
        f"input_type {shown} is not supported; send input_type=json and the parameters as a "
        "JSON object in rest_data"
    )


def _rest_data_text(value: Value) -> str:
    if value is None:
        raise BadRequest("input_type=json needs a rest_data parameter holding a JSON object")
    if not isinstance(value, str):
        raise BadRequest("rest_data must be JSON text, not bracketed form fields")
    return value


# --- JSON ----------------------------------------------------------------------------------


class _NonFiniteNumber(ValueError):
    """NaN, Infinity or an overflowing number: Python reads them, JSON does not allow them."""


def _reject_constant(name: str) -> object:
    raise _NonFiniteNumber(name)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NonFiniteNumber(text)
    return number


_JSON_PROBLEMS = {
    "Expecting value": "a value is missing",
    "Expecting ',' delimiter": "a ',' is missing",
    "Expecting ':' delimiter": "a ':' is missing",
    "Expecting property name enclosed in double quotes": "a name in double quotes is missing",
    "Unterminated string starting at": "a string is not closed",
    "Invalid control character at": "a string holds a control character",
    "Invalid \\escape": "a string holds an unknown escape",
    "Invalid \\uXXXX escape": "a string holds an unknown escape",
    "Extra data": "more text follows the value",
}
"""The json module's descriptions of a problem, in our words: an error names the problem
and where it is, never the parser's own exception text."""

_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def parse_json(text: str, *, what: str) -> object:
    """Strict JSON (no NaN, no lone surrogates, bounded nesting); 400 naming `what` otherwise."""
    try:
        document = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        reason = _JSON_PROBLEMS.get(exc.msg, "it cannot be read")
        raise BadRequest(f"{what} is not valid JSON: {reason} at position {exc.pos}") from None
    except _NonFiniteNumber as exc:
        raise BadRequest(f"{what} is not valid JSON: {exc} is not a number JSON allows") from None
    except (ValueError, RecursionError):
        raise BadRequest(f"{what} is not valid JSON: a number or the nesting is too big") from None
    _check_json_tree(document, what=what, depth=0)
    return document


def _check_json_tree(value: object, *, what: str, depth: int) -> None:
    """Refuse what the rest of the server cannot store or render: deep nesting, lone surrogates."""
    if depth > MAX_DEPTH:
        raise BadRequest(f"{what} is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str) and _SURROGATE.search(value):
        raise BadRequest(f"{what} contains an unpaired UTF-16 surrogate escape")
    items: Iterable[object] = ()
    if isinstance(value, list):
        items = value
    elif isinstance(value, dict):
        items = (part for pair in value.items() for part in pair)
    for item in items:
        _check_json_tree(item, what=what, depth=depth + 1)


def _first_object(document: object, *, what: str) -> dict[str, Value]:
    """The object itself, or the first element of an array (`[]`: no parameters)."""
    if isinstance(document, list):
        if not document:
            return {}
        document = document[0]
    if not isinstance(document, dict):
        raise BadRequest(
            f"{what} must be a JSON object of parameters, or an array whose first element is one"
        )
    return cast(dict[str, Value], document)  # json.loads: str keys, JSON values


# --- multipart -----------------------------------------------------------------------------


async def _multipart_params(request: Request, max_body: int) -> dict[str, Value]:
    """Multipart fields nested by PHP bracket names; uploads no parameter keeps are closed."""
    form = await _parse_multipart(request, max_body)
    try:
        pairs = form.multi_items()
        fields = _unwrap_envelope(cast(dict[str, Value], php_lists(build_php_arrays(pairs))))
    except BaseException:
        await form.close()
        raise
    await _close_dropped(form, fields)
    return fields


async def _parse_multipart(request: Request, max_body: int) -> FormData:
    """starlette's own multipart parser (what `request.form()` runs), fed a size-limited stream."""
    async with aclosing(_limited_stream(request, max_body)) as stream:
        parser = MultiPartParser(
            request.headers, stream, max_files=MAX_VARIABLES, max_fields=MAX_VARIABLES
        )
        try:
            return await parser.parse()
        except MultiPartException as exc:
            reason = exc.message.rstrip(".")
            raise BadRequest(f"The multipart/form-data body cannot be read: {reason}") from None


async def _close_dropped(form: FormData, kept: Mapping[str, Value]) -> None:
    """Close uploads that a later field of the same name replaced: nobody else will."""
    reachable = {id(upload) for upload in _uploads(kept.values())}
    for _, value in form.multi_items():
        if isinstance(value, UploadFile) and id(value) not in reachable:
            await value.close()


def _uploads(values: Iterable[Value]) -> Iterator[UploadFile]:
    for value in values:
        if isinstance(value, UploadFile):
            yield value
        elif isinstance(value, list):
            yield from _uploads(value)
        elif isinstance(value, dict):
            yield from _uploads(value.values())
