"""What the client raises.

OnstreamError              anything the client could not do
 ├── TransportError        the server could not be reached (httpx's error chained)
 └── ApiError              the server answered an error document; `status`, `message`
      ├── BadRequest       400
      ├── Unauthorized     401
      ├── NotFound         404
      ├── Conflict         409
      ├── Gone             410
      ├── TooLarge         413
      └── ServerError      5xx
"""

from __future__ import annotations


class OnstreamError(Exception):
    """Base of every error the client raises."""


class TransportError(OnstreamError):
    """The request did not get an answer (connection refused, timeout, ...)."""


class ApiError(OnstreamError):
    """The server answered with an error: its status and its one-sentence message."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"{status}: {message}")


class BadRequest(ApiError):
    """400: the input was refused; nothing was written."""


class Unauthorized(ApiError):
    """401: wrong login or password."""


class NotFound(ApiError):
    """404: no such record in this account, or no such resource."""


class Conflict(ApiError):
    """409: clashes with another record."""


class Gone(ApiError):
    """410: the record was deleted."""


class TooLarge(ApiError):
    """413: the body or upload is larger than the server takes."""


class ServerError(ApiError):
    """5xx: the server failed; the message carries a request id to report."""


BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    404: NotFound,
    409: Conflict,
    410: Gone,
    413: TooLarge,
}


def error_for(status: int, message: str) -> ApiError:
    """The error class for a status."""
    kind = BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return kind(status, message)
