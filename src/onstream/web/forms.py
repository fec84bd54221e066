"""Reading the small URL-encoded forms of the web pages, with a size cap.

The join and playback forms hold a name and a passcode; a visitor must not be able to make
the server buffer an unbounded body, so anything beyond `FORM_MAX_BYTES` is not our form.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

FORM_MAX_BYTES = 16 * 1024
FORM_MAX_FIELDS = 20


async def read_form(
    request: Request, *, max_fields: int = FORM_MAX_FIELDS
) -> dict[str, str] | None:
    """The form's fields (first value of each), or None when the body is too large or has
    more than `max_fields` fields."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_MAX_BYTES:
            return None
    try:
        pairs = parse_qsl(
            body.decode("utf-8", errors="replace"),
            keep_blank_values=True,
            max_num_fields=max_fields,
        )
    except ValueError:
        return None
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields
