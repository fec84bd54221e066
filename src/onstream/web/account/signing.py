"""`/account/sign-in` and `/account/sign-out`: the login and password, never an API token."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from onstream.config import Settings
from onstream.services import Services
from onstream.storage.database import transaction
from onstream.users import sign_in
from onstream.web.account.framework import (
    COOKIE,
    PATH,
    PRE_COOKIE,
    Visit,
    account_page,
    checked_form,
    csrf_token,
    forbidden,
    guest_page,
    local_path,
    page,
    see_other,
    set_cookie,
)

PRE_SECONDS = 3600


@guest_page
async def sign_in_page(request: Request, services: Services) -> Response:
    """GET: the form; POST: check the password (throttled like the API's) and sign in."""
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(32)
    target = local_path(request.query_params.get("next"))
    if request.method == "GET":
        return _form(request, services.settings, pre, target, login="", error=None, status=200)
    form = await checked_form(request, request.cookies.get(PRE_COOKIE, ""))
    if form is None:
        return forbidden(request)
    login, target = form.get("login", "").strip(), local_path(form.get("next"))
    throttle = services.throttle
    peer = request.client.host if request.client else None
    address = throttle.client_address(peer, request.headers.get("x-forwarded-for"))
    wait = await throttle.retry_after("sign-in", address=address, target=login.lower())
    if wait is not None:
        error = f"Too many failed sign-ins; try again in {wait} seconds"
        response = _form(
            request, services.settings, pre, target, login=login, error=error, status=429
        )
        response.headers["Retry-After"] = str(wait)
        return response
    async with transaction(services.database, write=False) as conn:
        account = await sign_in.account_for(conn, login)
    if not await sign_in.verify(account, form.get("password", "")) or account is None:
        await throttle.failed("sign-in", address=address, target=login.lower())
        return _form(
            request, services.settings, pre, target, login=login, error=sign_in.WRONG, status=400
        )
    if account.disabled:
        return _form(
            request, services.settings, pre, target, login=login, error=sign_in.DISABLED, status=403
        )
    async with transaction(services.database, write=True) as conn:
        secret = await sign_in.open_session(conn, account)
    response = see_other(services.settings, target)
    set_cookie(
        services.settings, response, COOKIE, secret, max_age=int(sign_in.ABSOLUTE.total_seconds())
    )
    response.delete_cookie(PRE_COOKIE, path=PATH)
    return response


def _form(
    request: Request,
    settings: Settings,
    pre: str,
    target: str,
    *,
    login: str,
    error: str | None,
    status: int,
) -> Response:
    context = {"csrf": csrf_token(pre), "next": target, "form": {"login": login}}
    response = page(
        request, "account/sign_in.html", context, {"": error} if error else None, status
    )
    set_cookie(settings, response, PRE_COOKIE, pre, max_age=PRE_SECONDS)
    return response


@account_page
async def sign_out(visit: Visit) -> Response:
    """POST: end this browser's session."""
    async with visit.transaction(write=True) as conn:
        await sign_in.close_session(conn, visit.secret)
    response = visit.redirect(f"{PATH}/sign-in", flash="signed-out")
    response.delete_cookie(COOKIE, path=PATH)
    return response
