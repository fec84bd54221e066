"""The API's error tree: every failure a client can see is one of these.

    ApiError (status 500, "Internal server error")
     ├── BadRequest          400  the input is nonsensical, corrupt or incomplete
     │    └── UnknownFormat  400  a format the server does not render
     ├── Unauthorized        401  missing or wrong credentials (carries WWW-Authenticate)
     ├── Forbidden           403  known caller, but these credentials may not do this
     ├── NotFound            404  no such version, resource, or record of this account
     ├── MethodNotAllowed    405  known resource, unsupported method (carries Allow)
     ├── Conflict            409  the input clashes with another record
     ├── Gone                410  the record existed and was deleted
     ├── PayloadTooLarge     413  an upload beyond the configured limit
     ├── TooManyRequests     429  too many failed attempts; retry later (Retry-After)
     └── Busy                503  too much work queued; retry after a moment (Retry-After)

Domain code raises these (or its own errors that subclass them); one function in
`protocol.respond` turns any of them into an error document in the requested format.
The message is always one sentence a person can act on; it never carries SQL or a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence


class ApiError(Exception):
    """Base of the tree; on its own it means an unexpected server-side failure."""

    status: int = 500
    default_message: str = "Internal server error"

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None):
        self.message = message or self.default_message
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.message)


class BadRequest(ApiError):
    """The request's input cannot be used; nothing was written."""

    status = 400
    default_message = "Bad request"


class UnknownFormat(BadRequest):
    """The client asked for an output format the server does not have."""


class Unauthorized(ApiError):
    """Missing or wrong credentials, or credentials of another login than the URL names."""

    status = 401
    default_message = "Authentication required: send HTTP Basic credentials of this account"
    challenge = 'Basic realm="Onstream API", charset="UTF-8"'

    def __init__(self, message: str | None = None, *, digest: Sequence[str] = ()):
        super().__init__(message)
        self.challenges: tuple[str, ...] = (*digest, self.challenge)
        """Every `WWW-Authenticate` value, one header line each: the Digest challenges
        (`protocol.digest`) the authenticator adds, then Basic."""


class Forbidden(ApiError):
    """The caller authenticated, but its credentials do not allow this request (a read-only
    API token asking to write)."""

    status = 403
    default_message = "Forbidden"


class NotFound(ApiError):
    """Nothing is known at this address, or it belongs to another account."""

    status = 404
    default_message = "Not found"


class MethodNotAllowed(ApiError):
    """The resource exists but does not answer this HTTP method."""

    status = 405
    default_message = "Method not allowed"

    def __init__(self, method: str, resource: str, allowed: list[str]):
        allow = ", ".join(allowed)
        super().__init__(
            f"{method} is not supported on {resource}; use {allow}",
            headers={"Allow": allow},
        )


class Conflict(ApiError):
    """The input would clash with another record (a taken name, a duplicate pair)."""

    status = 409
    default_message = "Conflict"


class Unprocessable(ApiError):
    """The request is well-formed but cannot be taken as it stands (an `Idempotency-Key`
    reused for a different request)."""

    status = 422
    default_message = "Unprocessable request"


class Gone(ApiError):
    """The record used to exist and was deleted."""

    status = 410
    default_message = "Gone"


class PayloadTooLarge(ApiError):
    """An upload exceeds the configured size limit."""

    status = 413
    default_message = "Payload too large"


class TooManyRequests(ApiError):
    """Too many failed attempts from this client or on this target; nothing was checked.

    `retry_after` is whole seconds until the next attempt may be counted again."""

    status = 429
    default_message = "Too many failed attempts; retry later"

    def __init__(self, message: str | None = None, *, retry_after: int = 1):
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})


class Busy(ApiError):
    """The server has more of some costly work queued than it will take on; nothing was done.

    Used for password checks: beyond a bound, new ones are refused at once rather than queued
    for longer than a client would wait."""

    status = 503
    default_message = "The server is busy; retry in a moment"

    def __init__(self, message: str | None = None, *, retry_after: int = 1):
        super().__init__(message, headers={"Retry-After": str(retry_after)})
