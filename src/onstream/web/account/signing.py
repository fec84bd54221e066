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
from onstream.web.account.guessing import Refused, password_is_right

PRE_SECONDS = 3600


@guest_page
async def sign_in_page(request: Request, services: Services) -> Response:
    """GET: the form; POST: check the password (counted like the API's) and sign in."""
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(32)
    target = local_path(request.query_params.get("next"))
    if request.method == "GET":
        return _form(request, services.settings, pre, target, login="", error=None, status=200)
    form = await checked_form(request, request.cookies.get(PRE_COOKIE, ""))
    if form is None:
        return forbidden(request)
    login, target = form.get("login", "").strip(), local_path(form.get("next"))
    async with transaction(services.database, write=False) as conn:
        account = await sign_in.account_for(conn, login)
    if account is not None and account.disabled:
        account = None  # absent, as on the API: a right password tells nothing either
    try:
        right = await password_is_right(
            request, services, login=login, account=account, password=form.get("password", "")
        )
    except Refused as refused:
        response = _form(
            request,
            services.settings,
            pre,
            target,
            login=login,
            error=refused.message,
            status=refused.status,
        )
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    if not right or account is None:
        return _form(
            request, services.settings, pre, target, login=login, error=sign_in.WRONG, status=400
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
