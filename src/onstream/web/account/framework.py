"""What every account-center page uses: the signed-in account, CSRF, flash messages, errors.

See the package docstring (`web.account`) for how a page is written with these. A page is a
`Page` (or a `GuestPage` for the sign-in form) that `routes.account_routes` binds to the
application's `Services`: every collaborator a page needs (the database, the settings, the
throttle, media, mail, the rooms) comes from there, typed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from onstream.accounts import Account
from onstream.config import Settings
from onstream.errors import DomainError
from onstream.protocol.bodies import MULTIPART_MARGIN_BYTES, close_uploads, read_body_params
from onstream.protocol.errors import ApiError, BadRequest, PayloadTooLarge
from onstream.scheduling.service import Change
from onstream.services import Services
from onstream.storage.database import Connection, Database, transaction
from onstream.storage.unit_of_work import unit_of_work
from onstream.users import sign_in
from onstream.web.forms import read_form
from onstream.web.rendering import DEFAULT_CSP, render

COOKIE = "onstream_account"
"""The signed-in browser's secret (see `users.sign_in`)."""
PRE_COOKIE = "onstream_pre"
"""A random value given to a browser that is not signed in, so the sign-in form has a CSRF
token too (a forged sign-in would put a victim in the attacker's account)."""
FLASH_COOKIE = "onstream_flash"
PATH = "/account"

FLASHES = {
    "signed-out": "You are signed out.",
    "settings-saved": "Your settings are saved.",
    "address-to-confirm": "Your settings are saved. Open the link we e-mailed to your new "
    "address to confirm it; until then, invitations sent to it do not show here.",
    "password-changed": "Your password is changed. Every other browser was signed out.",
    "feed-created": "Your calendar has a new address; the previous one no longer works.",
    "feed-off": "Your calendar feed is turned off; its address no longer works.",
    "session-created": "The session is created.",
    "session-saved": "The session is saved.",
    "session-deleted": "The session is deleted. Invitees who were e-mailed get a cancellation.",
    "invitee-added": "The invitee is added.",
    "invitee-saved": "The invitee is saved.",
    "invitee-removed": "The invitation is withdrawn; its personal link no longer works. "
    "If they were e-mailed the invitation, they get a cancellation.",
    "invitation-sent": "The invitation is on its way again.",
    "mail-sent-again": "The message is queued to be sent again now.",
    "mail-delivered": "That message was delivered meanwhile; it is not sent twice.",
    "file-added": "The file is uploaded.",
    "file-shared": "The file is shared in the session.",
    "file-unshared": "The file is no longer shared in that session.",
    "file-deleted": "The file is deleted.",
    "recording-saved": "The recording is saved.",
    "recording-deleted": "The recording is deleted.",
    "recording-job-retried": "The recording is being prepared again.",
    "recording-job-busy": "That recording is being prepared already or is ready.",
    "token-revoked": "The token is revoked; it no longer works.",
    "webhook-saved": "The webhook is saved.",
    "webhook-deleted": "The webhook and its deliveries are deleted.",
    "webhook-redelivered": "The delivery is queued again and goes out now.",
    "series-created": "The series is created: one session for each occurrence.",
    "series-saved": "Every upcoming session of the series is changed. Invitees who were "
    "e-mailed hear of a new title, time or length.",
    "series-cancelled": "Every upcoming session of the series is deleted. Invitees who were "
    "e-mailed get a cancellation.",
}
"""Messages shown once on the next page; the cookie carries only the key, never the text."""

FORM_MAX_FIELDS = 200
"""A session's form has a few dozen fields (custom data, rows of invitees); still bounded."""

Handler = Callable[["Visit"], Awaitable[Response]]
GuestHandler = Callable[[Request, Services], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class Visit:
    """One request of a signed-in account: what a page handler receives."""

    request: Request
    account: Account
    secret: str
    services: Services
    """The application's collaborators; `database` and `settings` are two of them."""
    form: dict[str, str] = field(default_factory=dict)
    """The posted fields (CSRF already checked); empty for GET."""
    uploads: dict[str, UploadFile] = field(default_factory=dict)
    """An `upload_page`'s posted files, by field name (closed when the handler returns)."""
    body_error: ApiError | None = None
    """Why an `upload_page`'s body could not be read (too large); `form` is empty then and
    nothing may be written: the CSRF token was never seen."""

    @property
    def database(self) -> Database:
        return self.services.database

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def transaction(self, *, write: bool) -> AbstractAsyncContextManager[Connection]:
        """One transaction on the server's database (write=True commits at the end)."""
        return transaction(self.database, write=write)

    @asynccontextmanager
    async def change(self) -> AsyncIterator[Change]:
        """One writing transaction as the scheduling service takes it; its after-commit work
        (mail, the meeting room) runs once it committed, as after an API call."""
        async with unit_of_work(self.database, write=True) as work:
            yield Change(work.conn, self.account, self.settings, self.services, work.actions)

    def render(
        self,
        template: str,
        context: Mapping[str, object] | None = None,
        *,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
        csp: str = DEFAULT_CSP,
    ) -> Response:
        """The template with the account, CSRF token, flash message, the errors and what
        was typed (`form`, so a refused form keeps its values); `csp` for a page with
        scripts (`SCRIPT_CSP`)."""
        base = {"account": self.account, "csrf": csrf_token(self.secret), "form": self.form}
        return page(self.request, template, {**base, **(context or {})}, errors, status, csp)

    def redirect(self, path: str, *, flash: str | None = None) -> Response:
        """303 to a page of the center, with a flash message (a key of `FLASHES`) for it."""
        return see_other(self.settings, path, flash=flash)


@dataclass(frozen=True, slots=True)
class Page:
    """A signed-in page's handler; `bind` makes it a route's endpoint."""

    handler: Handler
    uploads: bool = False

    def bind(self, services: Services) -> Endpoint:
        """The endpoint of this page in an application with these services."""
        return _endpoint(self.handler, services, uploads=self.uploads)


@dataclass(frozen=True, slots=True)
class GuestPage:
    """A page for a browser that is not signed in (the sign-in form)."""

    handler: GuestHandler

    def bind(self, services: Services) -> Endpoint:
        """The endpoint of this page in an application with these services."""
        handler = self.handler

        async def endpoint(request: Request) -> Response:
            return await handler(request, services)

        endpoint.__doc__ = handler.__doc__
        return endpoint


def account_page(handler: Handler) -> Page:
    """A page handler: not signed in → 303 to sign-in with `?next=`; POST → the form is
    read and its CSRF token checked (403 page otherwise); then `handler(visit)`."""
    return Page(handler)


def upload_page(handler: Handler) -> Page:
    """`account_page` for a form with a file (`multipart/form-data`): the body is read as
    the API reads an upload (the same size limit, files spooled to disk), text fields go to
    `visit.form`, files to `visit.uploads`. A body over the limit is not read at all: the
    handler gets `visit.body_error` and must only show the form again."""
    return Page(handler, uploads=True)


def guest_page(handler: GuestHandler) -> GuestPage:
    """A handler of a page that needs no sign-in: `handler(request, services)`."""
    return GuestPage(handler)


def _endpoint(handler: Handler, services: Services, *, uploads: bool) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        secret = request.cookies.get(COOKIE, "")
        found = None
        if secret:
            async with transaction(services.database, write=False) as conn:
                found = await sign_in.session_account(conn, secret)
        if found is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{PATH}/sign-in?next={quote(target, safe='/')}", 303)
        account, stale = found
        if stale:
            async with transaction(services.database, write=True) as conn:
                await sign_in.touch(conn, secret)
        visit = Visit(request, account, secret, services)
        if request.method == "POST" and uploads:
            return await _with_uploads(request, visit, handler)
        if request.method == "POST":
            form = await checked_form(request, secret)
            if form is None:
                return forbidden(request)
            visit.form = form
        return await handler(visit)

    endpoint.__doc__ = handler.__doc__
    return endpoint


async def _with_uploads(request: Request, visit: Visit, handler: Handler) -> Response:
    """Read a multipart form, check its CSRF token, run the handler, close the files."""
    limit = visit.settings.upload_max_bytes
    try:
        values = await read_body_params(request, max_body=limit + MULTIPART_MARGIN_BYTES)
    except ApiError as exc:
        too_large = f"The file is larger than the upload limit of {limit} bytes"
        visit.body_error = PayloadTooLarge(too_large) if exc.status == 413 else exc
        return await handler(visit)
    try:
        token = values.get("csrf")
        if not isinstance(token, str) or not hmac.compare_digest(
            token.encode(), csrf_token(visit.secret).encode()
        ):
            return forbidden(request)
        visit.form = {k: v for k, v in values.items() if isinstance(v, str)}
        visit.uploads = {k: v for k, v in values.items() if isinstance(v, UploadFile)}
        return await handler(visit)
    finally:
        await close_uploads(values)


def csrf_token(secret: str) -> str:
    """The CSRF token of a browser: derived from its cookie's secret, which the database does
    not hold, so the token is per session and nothing more has to be stored."""
    return hmac.new(secret.encode(), b"csrf", hashlib.sha256).hexdigest()


async def checked_form(request: Request, secret: str) -> dict[str, str] | None:
    """The posted form when its `csrf` field is this browser's token, else None."""
    form = await read_form(request, max_fields=FORM_MAX_FIELDS)
    if form is None or not secret:
        return None
    if not hmac.compare_digest(form.get("csrf", "").encode(), csrf_token(secret).encode()):
        return None
    return form


def errors_for(
    exc: DomainError | BadRequest, fields: Sequence[str] | Mapping[str, str]
) -> dict[str, str]:
    """The error's message (the API's text) keyed by the form field it names: the services
    start their messages with the field (`timezone 'X' is not ...`), the parameter reader
    with `Parameter 'duration' ...`; any other message goes under "" and is shown above the
    form. `fields` maps the API's names to the form's when they differ
    (`invited_participants[0].email` → `invitee-0-email`)."""
    names = fields if isinstance(fields, Mapping) else {name: name for name in fields}
    for api_name, form_name in names.items():
        prefixes = (f"{api_name} ", f"{api_name}:", f"Parameter '{api_name}'")
        if exc.message.startswith(prefixes):
            return {form_name: exc.message}
    return {"": exc.message}


def local_path(target: str | None) -> str:
    """`next` when it is a path on this server (never `//host` or a scheme), else home."""
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and target.isprintable()
        and "\\" not in target
    ):
        return target
    return PATH


def page(
    request: Request,
    template: str,
    context: Mapping[str, object],
    errors: Mapping[str, str] | None = None,
    status: int = 200,
    csp: str = DEFAULT_CSP,
) -> Response:
    """Render an account-center template with the flash message and errors; the flash
    cookie is spent."""
    flash = FLASHES.get(request.cookies.get(FLASH_COOKIE, ""))
    full = {"flash": flash, "errors": dict(errors or {}), "form": {}, **context}
    response = render(template, full, status=status, csp=csp)
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, path=PATH)
    return response


def see_other(settings: Settings, path: str, *, flash: str | None = None) -> Response:
    """303 to `path`, carrying a flash message key."""
    response = RedirectResponse(path, status_code=303)
    if flash is not None:
        set_cookie(settings, response, FLASH_COOKIE, flash, max_age=60)
    return response


def forbidden(request: Request) -> Response:
    """The page for a form without this browser's CSRF token (a forged or stale form)."""
    return page(request, "account/forbidden.html", {}, status=403)


def set_cookie(
    settings: Settings, response: Response, name: str, value: str, *, max_age: int | None
) -> None:
    """A cookie of the center: HttpOnly, SameSite=Lax, under /account, Secure on https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=settings.public_base_url.startswith("https:"),
    )
