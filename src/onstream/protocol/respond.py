"""The one place that turns documents and errors into HTTP responses.

Any exception a request raises ends here: API errors keep their status and message, domain
errors map to 400/404/409/410, and anything else becomes a 500 whose message says only
"Internal server error" with a request id that the log line carries too, so no traceback
or SQL text ever reaches a client.
"""

from __future__ import annotations

import logging
import secrets

from starlette.requests import ClientDisconnect
from starlette.responses import Response

from onstream.errors import Deleted, DomainError, Invalid, Missing, Taken
from onstream.protocol.document import Document
from onstream.protocol.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Gone,
    NotFound,
    Unauthorized,
)
from onstream.protocol.formats import FORMATS, Format

log = logging.getLogger("onstream.api")

_DOMAIN_TO_API: dict[type[DomainError], type[ApiError]] = {
    Invalid: BadRequest,
    Missing: NotFound,
    Taken: Conflict,
    Deleted: Gone,
}

DEFAULT_FORMAT = FORMATS["xml"]


def render(
    document: Document, fmt: Format, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A response with the document rendered in the format."""
    return Response(
        fmt.render(document),
        status_code=status,
        headers={**(headers or {}), **dict(fmt.headers), "content-type": fmt.content_type},
    )


def as_api_error(exc: BaseException, *, context: str, request_id: str | None = None) -> ApiError:
    """The API error for any exception; unexpected ones are logged with the request's id."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ClientDisconnect):
        # The client hung up mid-body: nobody will read the answer, nothing is wrong here.
        log.info("the client went away before sending its whole body: %s", context)
        return BadRequest("The request body was not complete")
    if isinstance(exc, DomainError):
        for domain_type, api_type in _DOMAIN_TO_API.items():
            if isinstance(exc, domain_type):
                return api_type(exc.message)
    request_id = request_id or secrets.token_hex(8)
    log.error("request %s failed: %s", request_id, context, exc_info=exc)
    return ApiError(f"Internal server error (request id {request_id})")


def render_error(
    exc: BaseException, fmt: Format | None, *, context: str, request_id: str | None = None
) -> Response:
    """The error document `{status: false, error: ...}` for any exception."""
    error = as_api_error(exc, context=context, request_id=request_id)
    document = Document({"status": False, "error": error.message})
    shown = DEFAULT_FORMAT if fmt is None or fmt.own else fmt
    response = render(document, shown, status=error.status, headers=error.headers)
    if isinstance(error, Unauthorized):
        # one header line per challenge: clients read the first Digest line they meet
        for challenge in error.challenges:
            response.raw_headers.append((b"www-authenticate", challenge.encode("latin-1")))
    return response
