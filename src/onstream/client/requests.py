"""What the synchronous and the asynchronous client share: how a call becomes a request and
an answer becomes a document or an error. No I/O here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from onstream.client.errors import ApiError, error_for
from onstream.client.models import Message

Params = Mapping[str, Any]
Upload = tuple[str, bytes, str]
"""(file name, content, content type) of a file to upload."""
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Request:
    """One API call as httpx arguments."""

    method: str
    url: str
    params: dict[str, Any] = field(default_factory=dict)
    json: dict[str, Any] | None = None
    data: dict[str, str] | None = None
    files: dict[str, Upload] | None = None


def build(
    login: str, method: str, resource: str, params: Params | None, upload: Upload | None = None
) -> Request:
    """The request of a call: GET parameters in the query, others in a JSON body (or a
    multipart body with an upload); JSON answers always."""
    url = f"/api/2/{quote(login, safe='')}/{resource}/format/json"
    values = {k: v for k, v in (params or {}).items() if v is not None}
    if method == "GET":
        return Request(method, url, params=values)
    if upload is not None:
        form = {k: _form_text(v) for k, v in values.items()}
        return Request(method, url, data=form, files={"file": upload})
    return Request(method, url, json=values)


def _form_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def document(response: httpx.Response) -> dict[str, Any]:
    """The JSON document of a successful answer; the typed error of any other."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success or response.status_code == 301:
        if not isinstance(body, dict):
            raise ApiError(response.status_code, "The server's answer is not a JSON document")
        return body
    message = body.get("error") if isinstance(body, dict) else None
    raise error_for(response.status_code, str(message or response.reason_phrase))


def message(response: httpx.Response) -> Message:
    """The `{id, message}` of a write, with its `Location` and warning."""
    body = document(response)
    raw_id = body.get("id")
    return Message(
        id=int(raw_id) if raw_id is not None else None,
        message=str(body.get("message", "")),
        location=response.headers.get("location"),
        warning=response.headers.get("onstream-warning"),
    )


def next_link(response: httpx.Response) -> str | None:
    """The `Link: <...>; rel="next"` of a page of a list."""
    return response.links.get("next", {}).get("url")
