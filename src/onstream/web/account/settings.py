"""`/account/settings`: names, e-mail address, time zone, the password, and the private
calendar feed (`users.calendar_feed`: a new address, or off).

The zone is a place (`Europe/Berlin`), picked from the IANA zones; an account that holds a
code (`UP1` with DST) is shown its place (`timezones.shown_zone`) and keeps the code until
another zone is picked.

A new address is saved unconfirmed and a link is mailed to it (`users.people.update_account`,
as for `POST user`); until it is opened the address matches no invitation (CONTRACT §6a)."""

from __future__ import annotations

from starlette.responses import Response

from onstream import timezones, zone_names
from onstream.clock import utcnow
from onstream.errors import DomainError, Invalid
from onstream.protocol.errors import Busy
from onstream.users import calendar_feed, people, sign_in
from onstream.users.models import ProfileInput
from onstream.web.account.framework import COOKIE, PATH, Visit, account_page, errors_for, set_cookie
from onstream.web.account.guessing import Refused, password_is_right
from onstream.web.rendering import SCRIPT_CSP, ZONE_ALIASES

PROFILE_FIELDS = ("first_name", "last_name", "email", "timezone", "dst")
PASSWORD_FIELDS = ("current_password", "password")


async def _page(visit: Visit, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    async with visit.transaction(write=False) as conn:
        profile = await people.get_profile(conn, visit.account, visit.account.id)
        token = await calendar_feed.current(conn, visit.account.id)
    base_url = visit.settings.public_base_url
    typed = visit.form if visit.form.get("section") == "profile" else {}
    values = {
        "first_name": typed.get("first_name", profile.first_name),
        "last_name": typed.get("last_name", profile.last_name),
        "email": typed.get("email", profile.email),
        "timezone": typed.get("timezone", _shown(visit)),
    }
    now = timezones.local_time(utcnow(), visit.account.timezone, visit.account.dst)
    context = {
        "values": values,
        "zone_names": zone_names.offered(),
        "zone_aliases": ZONE_ALIASES,
        "now": now.text,
        "address": profile.email,
        "confirmed": bool(profile.email_verified),
        "feed_url": None if token is None else calendar_feed.feed_url(base_url, token),
    }
    return visit.render(
        "account/settings.html", context, errors=errors, status=status, csp=SCRIPT_CSP
    )


def _shown(visit: Visit) -> str:
    return timezones.shown_zone(visit.account.timezone, visit.account.dst)


def _zone(visit: Visit) -> str | None:
    """The zone to store: None (keep the account's, code or name) when the field still shows
    it; else what was typed, checked as `POST user` checks `timezone`."""
    typed = visit.form.get("timezone", "").strip()
    return None if typed == _shown(visit) else typed


@account_page
async def settings_page(visit: Visit) -> Response:
    """GET: the form; POST section=profile or section=password."""
    if visit.request.method == "GET":
        return await _page(visit)
    if visit.form.get("section") == "password":
        return await _password(visit)
    if visit.form.get("section") == "calendar":
        return await _calendar(visit)
    data = ProfileInput(
        first_name=visit.form.get("first_name", ""),
        last_name=visit.form.get("last_name", ""),
        email=visit.form.get("email"),
        timezone=_zone(visit),
    )
    try:
        async with visit.transaction(write=True) as conn:
            before = await people.get_profile(conn, visit.account, visit.account.id)
            await people.update_account(conn, visit.account, data, settings=visit.settings)
            after = await people.get_profile(conn, visit.account, visit.account.id)
    except DomainError as exc:
        return await _page(visit, errors_for(exc, PROFILE_FIELDS), status=400)
    visit.services.credentials.forget_account(visit.account.id)
    new_address = before.email.lower() != after.email.lower() and not after.email_verified
    flash = "address-to-confirm" if new_address else "settings-saved"
    return visit.redirect(f"{PATH}/settings", flash=flash)


async def _calendar(visit: Visit) -> Response:
    """A new feed address (the old one stops), or the feed off."""
    turn_on = visit.form.get("feed") == "new"
    async with visit.transaction(write=True) as conn:
        if turn_on:
            await calendar_feed.renew(conn, visit.account.id)
        else:
            await calendar_feed.turn_off(conn, visit.account.id)
    return visit.redirect(f"{PATH}/settings", flash="feed-created" if turn_on else "feed-off")


async def _password(visit: Visit) -> Response:
    """The current password is a guess at the login's password like a sign-in: counted and
    checked the same way (`web.account.guessing`), so this form is no oracle. The new one is
    hashed in the same pool, before the write transaction, so changing a password again and
    again costs the event loop nothing and is refused when the pool is full."""
    current = visit.form.get("current_password", "")
    ok = False
    if current:
        try:
            ok = await password_is_right(
                visit.request,
                visit.services,
                login=visit.account.login,
                account=visit.account,
                password=current,
            )
        except Refused as refused:
            errors = {"current_password": refused.message}
            response = await _page(visit, errors, status=refused.status)
            response.headers["Retry-After"] = str(refused.retry_after)
            return response
    new = visit.form.get("password", "")
    new_hash = None
    if ok:
        try:
            new_hash = await sign_in.new_password_hash(visit.services.password_checks, new)
        except Invalid:
            pass  # said by change_password below, after what is wrong with the current one
        except Busy:
            errors = {"password": "Too many passwords are being checked; try again in a moment"}
            response = await _page(visit, errors, status=503)
            response.headers["Retry-After"] = "1"
            return response
    try:
        async with visit.transaction(write=True) as conn:
            await sign_in.change_password(
                conn, visit.account, current=current, new=new, current_ok=ok, new_hash=new_hash
            )
            secret = await sign_in.open_session(conn, visit.account)
    except DomainError as exc:
        return await _page(visit, errors_for(exc, PASSWORD_FIELDS), status=400)
    visit.services.credentials.forget_account(visit.account.id)
    response = visit.redirect(f"{PATH}/settings", flash="password-changed")
    set_cookie(
        visit.settings, response, COOKIE, secret, max_age=int(sign_in.ABSOLUTE.total_seconds())
    )
    return response
