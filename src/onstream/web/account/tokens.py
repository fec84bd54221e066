"""`/account/tokens`: the account's API tokens: create (name, read-only, expiry), list with
their last use, revoke.

The pages call `users.tokens`, as `onstream token` does: the same rules and words. A new
token is shown once, on the answer to the form that made it (never in a redirect, a cookie
or a URL, and that answer is not cached); afterwards only its name is known.
"""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response

from onstream import timezones
from onstream.accounts import Account
from onstream.errors import DomainError, Invalid, Missing, Taken
from onstream.users import tokens
from onstream.web.account.framework import PATH, Visit, account_page, errors_for
from onstream.web.pages import not_found

TEMPLATE = "account/tokens.html"
FIELDS = {"token name": "name", "expiry": "expires_days", "account": "name"}
"""The service's words → the form's fields: `token name must be ...`, `expiry must be ...`,
`account 'x' already has a token named ...`."""


def on_clock(moment: datetime | None, account: Account) -> str:
    """`2030-07-10 18:00 CEST`: a stored UTC time on the account's clock; "" for none."""
    if moment is None:
        return ""
    local = timezones.local_time(moment, account.timezone, account.dst)
    return f"{local.wall:%Y-%m-%d %H:%M} {local.abbreviation}"


def expiry_days(text: str) -> int | None:
    """The form's expiry: empty for never, else whole days (the service checks the range)."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise Invalid(f"expiry must be 1-{tokens.MAX_DAYS} days")
    return int(text)


async def _page(
    visit: Visit,
    *,
    created: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    async with visit.transaction(write=False) as conn:
        found = await tokens.list_tokens(conn, login=visit.account.login)
    rows = [
        {
            "name": t.name,
            "created": on_clock(t.created_at, visit.account),
            "last_used": on_clock(t.last_used_at, visit.account) or "never",
            "read_only": t.read_only,
            "expires": on_clock(t.expires_at, visit.account) or "never",
            "digest": t.digest,
        }
        for t in found
    ]
    context = {"tokens": rows, "created": created, "max_days": tokens.MAX_DAYS}
    response = visit.render(TEMPLATE, context, errors=errors, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@account_page
async def token_list(visit: Visit) -> Response:
    """GET: the tokens and the form for a new one; POST: create one and show it, once."""
    if visit.request.method == "GET":
        return await _page(visit)
    form = visit.form
    try:
        days = expiry_days(form.get("expires_days", ""))
        async with visit.transaction(write=True) as conn:
            token = await tokens.create_token(
                conn,
                login=visit.account.login,
                name=form.get("name", "").strip(),
                read_only=form.get("read_only") == "1",
                expires_days=days,
            )
    except DomainError as exc:
        return await _page(visit, errors=errors_for(exc, FIELDS), status=_status(exc))
    visit.form = {}
    return await _page(visit, created=token)


@account_page
async def revoke(visit: Visit) -> Response:
    """POST: revoke the token of this name; it stops working at once."""
    try:
        async with visit.transaction(write=True) as conn:
            name = visit.form.get("name", "")
            await tokens.revoke_token(conn, login=visit.account.login, name=name)
    except Missing:
        return not_found()
    return visit.redirect(f"{PATH}/tokens", flash="token-revoked")


def _status(exc: DomainError) -> int:
    return 409 if isinstance(exc, Taken) else 400
