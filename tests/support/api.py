"""Small helpers for talking to the API the way the documentation's clients do."""

from __future__ import annotations

from typing import Any

import httpx
import orjson


def rest(client: httpx.Client, method: str, path: str, data: Any = None) -> httpx.Response:
    """Send `input_type=json&rest_data=<JSON>` (form-encoded) and ask for JSON back."""
    body = {"input_type": "json", "rest_data": orjson.dumps(data or {}).decode()}
    return client.request(method, f"{path}/format/json", data=body)


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON body of a response that must have this status."""
    assert response.status_code == status, response.text
    return response.json()


def error(response: httpx.Response, status: int) -> str:
    """The error message of a JSON error response with this status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] is False
    assert isinstance(body["error"], str)
    return body["error"]
