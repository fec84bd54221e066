"""The OpenAPI 3.1 description of the API, built from the route table and the handlers'
descriptions (`protocol.describe`), so what is served is what is described.

Paths are relative to the server URL `/api/2/{username}` (a server variable), so every
resource is one path, `/{resource}`, and a resource addressed by id also has
`/{resource}/id/{id}`. Other key/value segments (`/count/10`) are the same parameters as the
query string, as the description's text says; OpenAPI cannot express a repeating segment
grammar, so the description shows the query form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from onstream.protocol.describe import Operation, Param, operation_of
from onstream.protocol.formats import FORMATS
from onstream.protocol.idempotency import KEYED_METHODS, MAX_KEY_LENGTH, REPLAYED_HEADER
from onstream.protocol.mistakes import WARNING_HEADER
from onstream.protocol.resources import Resource

TITLE = "Onstream API"
ABOUT = """\
The Onstream API v2. Every call is `/api/2/{username}/{resource}` with HTTP Basic
credentials of `{username}`.

- **Parameters** come from the query string (GET) or the body (PUT, POST, DELETE: form
  fields with PHP bracket notation, `input_type=json&rest_data=<JSON>`, raw JSON, or
  multipart), and from key/value URL segments: `/session/id/7/format/json` is
  `/session?id=7&format=json`.
- **Formats**: `xml` (default), `json`, `serialize`, `php`, `html`, `csv`, chosen by the
  `format` segment or parameter, a `.json`-style suffix, or the `Accept` header.
- **Errors** are one document, `{"status": false, "error": "..."}`, in the format asked.
- **Mistakes are told**: parameters nothing reads are ignored and named in the
  `Onstream-Warning` header; with `strict/1` or the header `Onstream-Strict: 1` they are
  a 400 and nothing is written.
- **Retries are safe** with an `Idempotency-Key` header (at most 255 characters) on a PUT or
  POST: for 24 hours the same key from the same account with the same method, path and body
  replays the first answer (marked `Idempotent-Replayed: true`) and acts once; the same key
  with another request is 422. A concurrent retry waits for the first and gets its answer.
- **Lists** answer `X-Total-Count` and, when another page follows, `Link: <...>; rel="next"`.
"""

ERRORS = {
    "400": "Unusable input; nothing was written",
    "401": "Missing or wrong credentials",
    "404": "No such record in this account",
    "409": "Clashes with another record",
    "410": "The record was deleted",
    "413": "The body or upload is too large",
    "503": "Busy; retry in a moment",
}
KEYED_ERRORS = {"422": "The Idempotency-Key was used for a different request"}
BODY_TYPES = ("application/x-www-form-urlencoded", "application/json", "multipart/form-data")
MESSAGE = {
    "type": "object",
    "required": ["message"],
    "properties": {"id": {"type": "integer"}, "message": {"type": "string"}},
}
ERROR = {
    "type": "object",
    "required": ["status", "error"],
    "properties": {"status": {"type": ["boolean", "integer"]}, "error": {"type": "string"}},
}


@dataclass(frozen=True, slots=True)
class Naming:
    """What the description calls each call, given by the layer that knows the resources."""

    operations: Mapping[tuple[str, str], tuple[str, str]]
    """(method, resource) → (operationId, tag); the path form adds `_by_path` to the id."""
    tags: Mapping[str, str]
    """Every tag and its description, in order."""


def openapi(resources: Mapping[str, Resource], *, version: str, naming: Naming) -> dict[str, Any]:
    """The description of the API these resources make."""
    paths: dict[str, dict[str, Any]] = {}
    for resource in resources.values():
        for method in resource.allowed:
            operation = operation_of(resource.methods[method])
            if operation is None:
                raise LookupError(f"{method} {resource.name} has no description")
            name = naming.operations.get((method, resource.name))
            if name is None or name[1] not in naming.tags:
                raise LookupError(f"{method} {resource.name} has no operationId and tag")
            paths.setdefault(f"/{resource.name}", {})[method.lower()] = _operation(
                method, operation, name=name, by_id=False
            )
            if operation.by_id:
                paths.setdefault(f"/{resource.name}/id/{{id}}", {})[method.lower()] = _operation(
                    method, operation, name=name, by_id=True
                )
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": version, "description": ABOUT},
        "tags": [{"name": tag, "description": text} for tag, text in naming.tags.items()],
        "servers": [
            {
                "url": "/api/2/{username}",
                "variables": {"username": {"default": "demo", "description": "Your login"}},
            }
        ],
        "security": [{"basic": []}, {"digest": []}],
        "paths": paths,
        "components": _components(),
    }


def _components() -> dict[str, Any]:
    return {
        "securitySchemes": {
            "basic": {"type": "http", "scheme": "basic"},
            "digest": {
                "type": "http",
                "scheme": "digest",
                "description": "API tokens only (not passwords): RFC 7616, qop=auth, "
                "SHA-256 or MD5",
            },
        },
        "schemas": {
            "Message": MESSAGE,
            "Error": ERROR,
            # Named, so that a generated client has one type of formats, not one per call.
            "Format": {"type": "string", "enum": list(FORMATS)},
        },
        "parameters": {
            "format": {
                "name": "format",
                "in": "query",
                "description": "The answer's format (default xml); ics (an iCalendar event) "
                "for GET session/id/N only",
                "schema": {"$ref": "#/components/schemas/Format"},
            },
            "idempotency": {
                "name": "Idempotency-Key",
                "in": "header",
                "description": "A unique value per intended change (at most 255 characters): "
                "a retry with the same key and request within 24 hours replays the first "
                "answer instead of acting again",
                "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
            },
            "strict": {
                "name": "strict",
                "in": "query",
                "description": "true (or 1): refuse parameters nothing reads (400)",
                "schema": {"type": "boolean"},
            },
        },
        "responses": {
            status: {
                "description": text,
                "content": _content({"$ref": "#/components/schemas/Error"}),
            }
            for status, text in (ERRORS | KEYED_ERRORS).items()
        },
    }


def _operation(
    method: str, operation: Operation, *, name: tuple[str, str], by_id: bool
) -> dict[str, Any]:
    params = [p for p in operation.params if not (by_id and p.name == "id")]
    parameters: list[dict[str, Any]] = [
        {"$ref": "#/components/parameters/format"},
        {"$ref": "#/components/parameters/strict"},
    ]
    if method in KEYED_METHODS:
        parameters.append({"$ref": "#/components/parameters/idempotency"})
    if by_id:
        parameters.append(
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        )
    result: dict[str, Any] = {
        "operationId": f"{name[0]}{'_by_path' if by_id else ''}",
        "summary": operation.summary,
        "tags": [name[1]],
        "parameters": parameters,
        "responses": _responses(method, operation),
    }
    if method == "GET":
        parameters.extend(_query(p) for p in params)
    elif params:
        result["requestBody"] = _body(params)
    return result


def _query(param: Param) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": "query",
        "required": param.required,
        "schema": param.schema(),
        **({"description": param.description} if param.description else {}),
    }


def _body(params: list[Param]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {p.name: p.schema() for p in params},
    }
    required = [p.name for p in params if p.required]
    if required:
        schema["required"] = required
    types = BODY_TYPES if any(p.kind == "file" for p in params) else BODY_TYPES[:2]
    return {
        "required": bool(required),
        "content": {media: {"schema": schema} for media in types},
    }


def _responses(method: str, operation: Operation) -> dict[str, Any]:
    document = operation.document or {"$ref": "#/components/schemas/Message"}
    success: dict[str, Any] = {"description": operation.summary, "content": _content(document)}
    headers: dict[str, Any] = {
        WARNING_HEADER: {
            "description": "Parameters that nothing read (ignored)",
            "schema": {"type": "string"},
        }
    }
    if operation.listed:
        headers["X-Total-Count"] = {
            "description": "Items in the whole list",
            "schema": {"type": "integer"},
        }
        headers["Link"] = {"description": "The next page, rel=next", "schema": {"type": "string"}}
    if method in KEYED_METHODS:
        headers[REPLAYED_HEADER] = {
            "description": "true: this answer replays the first one sent with the same "
            "Idempotency-Key",
            "schema": {"type": "string", "enum": ["true"]},
        }
    if operation.status == 201:
        headers["Location"] = {"description": "Where the record is", "schema": {"type": "string"}}
    success["headers"] = headers
    responses: dict[str, Any] = {str(operation.status): success}
    if method == "POST" and operation.document is None:
        responses["301"] = {"description": "The login moved", "content": _content(document)}
    for status in ERRORS | (KEYED_ERRORS if method in KEYED_METHODS else {}):
        responses[status] = {"$ref": f"#/components/responses/{status}"}
    return responses


def _content(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The document in every format; only JSON has a schema a validator can check."""
    content: dict[str, Any] = {}
    for fmt in FORMATS.values():
        if fmt.own:
            continue
        media = fmt.content_type.split(";")[0].strip()
        content[media] = {"schema": schema if media == "application/json" else {"type": "string"}}
    return content
