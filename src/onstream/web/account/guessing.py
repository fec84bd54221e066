"""A password typed into an account-center page, counted and checked like the API's.

The sign-in page and the settings page's current password guess the same secret as the
API's Basic credentials, so they share its counters (`onstream.throttle`, kind `password`,
the login as target): the attempt takes its slot before the check, and a right password
gives it back. The check runs in the process's bounded pool (`users.password_checks`).
"""

from __future__ import annotations

from starlette.requests import Request

from onstream.accounts import Account
from onstream.protocol.errors import Busy
from onstream.services import Services
from onstream.throttle import Limited, login_target
from onstream.users import sign_in


class Refused(Exception):
    """The password was not checked: too many failures (429) or too many checks (503)."""

    def __init__(self, message: str, *, status: int, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


async def password_is_right(
    request: Request, services: Services, *, login: str, account: Account | None, password: str
) -> bool:
    """Whether `password` is the account's (None: no such login, which costs the same);
    `Refused` when it may not be checked now."""
    throttle, checks = services.throttle, services.password_checks
    peer = request.client.host if request.client else None
    address = throttle.client_address(peer, request.headers.get("x-forwarded-for"))
    try:
        slot = await throttle.take("password", address=address, target=login_target(login))
    except Limited as limited:
        wait = limited.retry_after
        message = f"Too many failed sign-ins; try again in {wait} seconds"
        raise Refused(message, status=429, retry_after=wait) from None
    try:
        right = await sign_in.verify(checks, account, password) and account is not None
    except Busy:
        await throttle.give_back(slot)  # never checked
        message = "Too many sign-ins are being checked; try again in a moment"
        raise Refused(message, status=503, retry_after=1) from None
    if right:
        await throttle.give_back(slot)
    return right
