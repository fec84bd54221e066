"""One log format for uvicorn's lines and ours, as text for people or JSON for collectors.

Every line has a UTC timestamp, the level, the logger, and when it was written while a
request was being answered, that request's id (also sent back as `X-Request-ID`) and the
login that authenticated it. Nothing else of the request is logged by us: no header, so
never `Authorization`, a password or a token. `ONSTREAM_LOG_FORMAT=json` writes one JSON
object per line (`ts`, `level`, `logger`, `message`, `request_id`, `login`, `exception`).

uvicorn is started with `log_config=None`, so its loggers (`uvicorn.error`, and
`uvicorn.access` with `--access-log`) have no handler of their own and reach the root
handler installed here, in the supervisor and in every worker process alike.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from contextvars import ContextVar
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("onstream_request_id", default=None)
LOGIN: ContextVar[str | None] = ContextVar("onstream_login", default=None)
FORMATS = ("text", "json")
HEADER = b"x-request-id"
_GIVEN_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
"""An `X-Request-ID` from a proxy is kept when it looks like one; anything else is replaced
(a header must not be able to forge log lines)."""


class _Context(logging.Filter):
    """Adds the request's id and login to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.login = LOGIN.get()
        return True


class TextFormatter(logging.Formatter):
    """`2026-12-02T04:30:00.123Z INFO onstream.api [req=ab12 login=jdoe] message`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """ISO 8601 in UTC with milliseconds (logging's own name for this hook)."""
        return _timestamp(record)

    def format(self, record: logging.LogRecord) -> str:
        parts = []
        request_id, login = getattr(record, "request_id", None), getattr(record, "login", None)
        if request_id:
            parts.append(f"req={request_id}")
        if login:
            parts.append(f"login={login}")
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; an exception's traceback is one string field."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("request_id", "login"):
            value = getattr(record, name, None)
            if value:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _timestamp(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


def configure(level: str, fmt: str = "text") -> None:
    """Install the one root handler (stderr) for this process; safe to call again."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_Context())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # Alembic announces its plugins and its DDL mode on every start; its steps stay.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


Scope = dict[str, Any]


class RequestContext:
    """ASGI middleware: a request id for each HTTP request, in the logs' context and in the
    response's `X-Request-ID` header (a sane one sent by a proxy is kept)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(HEADER, b"")
        request_id = given.decode() if _GIVEN_ID.fullmatch(given) else secrets.token_hex(8)
        scope["onstream.request_id"] = request_id
        id_token, login_token = REQUEST_ID.set(request_id), LOGIN.set(None)

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (HEADER, request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            REQUEST_ID.reset(id_token)
            LOGIN.reset(login_token)
