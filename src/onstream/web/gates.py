"""The one check behind every gate a visitor answers: a name, and a secret when there is one.

The join page asks for a name and the session's passcode; the playback page for the
recording's password and a screen name. Both answer the same way: a wrong or missing secret
outranks a name problem (403 before 400), since without it the visitor may not enter at
all, whatever name they give; the secret is compared in constant time.

Guessing is rate-limited (`onstream.throttle`): a secret given takes its slot in the
counters of the visitor's address and of the gate's target (the session, the recording)
before it is compared, and gives it back when it was right; while either is at its limit the
gate answers 429 with Retry-After and checks nothing. A session's passcode is one secret on
its join page and on the playback pages of its recordings that still have it, so they count
under one target, the session.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from onstream.throttle import Kind, Limited, Slot, Throttle

NAME_MAX = 100
"""Longest name a visitor may give (the forms' `maxlength`)."""


@dataclass(frozen=True, slots=True)
class Wording:
    """How one gate names its secret and its name field in error messages."""

    missing: str
    wrong: str
    no_name: str
    name_label: str


def secret_matches(given: str | None, expected: str) -> bool:
    """Compare in constant time, so response timing does not reveal the secret."""
    return hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


def check(
    *,
    secret: str | None,
    given: str | None,
    name: str,
    name_required: bool,
    wording: Wording,
) -> tuple[int, list[str]]:
    """The status and error messages of a gate's answers; (200, []) lets the visitor in."""
    status, errors = 200, []
    if secret is not None and not secret_matches(given, secret):
        status = 403
        errors.append(wording.wrong if given else wording.missing)
    if name_required:
        if not name:
            errors.append(wording.no_name)
        elif len(name) > NAME_MAX:
            errors.append(f"{wording.name_label} can be at most {NAME_MAX} characters long.")
    if errors and status == 200:
        status = 400
    return status, errors


@dataclass(slots=True)
class Guard:
    """The rate limit of one gate: its kind of secret and its target, for one visitor."""

    throttle: Throttle
    kind: Kind
    target: str
    address: str
    slot: Slot | None = None

    @classmethod
    def of(cls, throttle: Throttle, request: Request, *, kind: Kind, target: str) -> Guard:
        """The guard of this gate for the request's client."""
        peer = request.client.host if request.client else None
        address = throttle.client_address(peer, request.headers.get("x-forwarded-for"))
        return cls(throttle, kind, target, address)

    async def take(self) -> int | None:
        """Count the secret about to be compared: None, or the seconds before this visitor
        may answer again (then nothing was counted and nothing may be compared)."""
        try:
            self.slot = await self.throttle.take(
                self.kind, address=self.address, target=self.target
            )
        except Limited as limited:
            return limited.retry_after
        return None

    async def right(self) -> None:
        """The secret was right: uncount it."""
        if self.slot is not None:
            await self.throttle.give_back(self.slot)
            self.slot = None


def too_many(seconds: int) -> str:
    """The error shown instead of checking, while guessing is paused."""
    minutes = (seconds + 59) // 60
    when = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"Too many wrong answers. Please wait {when} and try again."


def with_retry_after(response: Response, seconds: int) -> Response:
    """The response, telling clients when to come back."""
    response.headers["retry-after"] = str(seconds)
    return response
