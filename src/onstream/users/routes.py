"""API handlers for the account: `authverify` and `user`."""

from __future__ import annotations

from functools import partial

from onstream.clock import utcnow
from onstream.protocol.describe import Operation, Param, described, list_of
from onstream.protocol.document import Document
from onstream.protocol.params import ID_MAX, Params
from onstream.protocol.resources import Reply, message
from onstream.services import ApiCall
from onstream.users import calendar_feed, documents, people
from onstream.users.models import ProfileInput

AUTHORIZED = Document({"authenticated": True, "message": "You are authorized to use the API"})


AUTHVERIFY = {
    "type": "object",
    "properties": {
        "authenticated": {"type": ["boolean", "integer"]},
        "message": {"type": "string"},
    },
}


@described(Operation("Check the credentials", (), AUTHVERIFY))
async def authverify(call: ApiCall) -> Reply:
    """Answer that the credentials are valid; reaching this handler proves it."""
    return Reply(AUTHORIZED)


PROFILE_PARAMS = (
    Param(
        "email",
        description="For the account: a new address is unverified until the link mailed "
        "to it is opened",
        example="ana@example.com",
    ),
    Param("first_name", example="Ana"),
    Param("last_name", example="Lima"),
    Param("timezone", description="A code (UP1, UTC, ...) or an IANA name", example="UTC"),
    Param("dst", "boolean", "Follow daylight saving time with a code", example=False),
    Param("login", description="The account's new login (301 to the new URL)"),
)
"""What `_profile_input` reads."""
USER_ID = Param("id", "integer", "A person of this account", minimum=1, example=1)
USERS = list_of(
    "users",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "login": {"type": ["string", "null"]},
            "email": {"type": ["string", "null"]},
            "timezone": {"type": ["string", "null"]},
            "dst": {"type": ["boolean", "integer", "null"]},
            "email_verified": {
                "type": ["boolean", "integer", "null"],
                "description": "The account's address was set by the operator or confirmed "
                "through the link mailed to it; only then does it match invitations "
                "(registered invitee). Null for a person of the account.",
            },
        },
    },
)


def _profile_input(params: Params) -> ProfileInput:
    return ProfileInput(
        email=params.text("email"),
        first_name=params.text("first_name"),
        last_name=params.text("last_name"),
        timezone=params.text("timezone"),
        dst=params.boolean("dst"),
        login=params.text("login"),
    )


def _forget_cached(call: ApiCall) -> None:
    """The cached account carries the profile; drop it once the change committed, so the
    next request sees the change. Dropped before the commit, a request running meanwhile
    could read the old profile and cache it again."""
    call.after_commit.append(partial(call.services.credentials.forget_account, call.account.id))


@described(Operation("The account, or one of its people", (USER_ID,), USERS))
async def get_user(call: ApiCall) -> Reply:
    """GET user: the account; GET user/id/N: the account or one of its people."""
    user_id = call.params.integer("id", min=1, max=ID_MAX) or call.account.id
    profile = await people.get_profile(call.conn, call.account, user_id)
    return Reply(documents.users_document(profile, now=utcnow()))


@described(Operation("Add a person to the account", PROFILE_PARAMS, status=201))
async def put_user(call: ApiCall) -> Reply:
    """PUT user: add a person to the account."""
    user_id = await people.add_person(call.conn, call.account, _profile_input(call.params))
    return Reply(message("User added", id=user_id), status=201, location=f"user/id/{user_id}")


@described(Operation("Edit the account, or with id one of its people", (USER_ID, *PROFILE_PARAMS)))
async def post_user(call: ApiCall) -> Reply:
    """POST user: edit the account, or with `id` one of its people; 301 when the login moved."""
    data = _profile_input(call.params)
    user_id = call.params.integer("id", min=1, max=ID_MAX)
    if user_id is not None and user_id != call.account.id:
        await people.update_person(call.conn, call.account, user_id, data, settings=call.settings)
        return Reply(message("User updated", id=user_id))
    new_login = await people.update_account(call.conn, call.account, data, settings=call.settings)
    _forget_cached(call)
    call.after_commit.append(call.services.mail.wake)
    reply = message("User updated", id=call.account.id)
    if new_login is None:
        return Reply(reply)
    version_root = call.api_root.rsplit("/", 1)[0]
    return Reply(reply, status=301, location=f"{version_root}/{new_login}/user")


CALENDAR_FEED = {
    "type": "object",
    "properties": {
        "enabled": {"type": ["boolean", "integer"]},
        "url": {
            "type": "string",
            "description": "The private feed's address (iCalendar) to subscribe to, or empty "
            "while the feed is off; anyone with it can read the account's sessions",
        },
        "message": {"type": "string"},
    },
}


@described(Operation("The account's private calendar feed", (), CALENDAR_FEED))
async def get_calendar_feed(call: ApiCall) -> Reply:
    """GET calendar_feed: the feed's address, or enabled false."""
    token = await calendar_feed.current(call.conn, call.account.id)
    return Reply(documents.feed_document(call.settings.public_base_url, token))


@described(Operation("Turn the calendar feed on with a new address", (), CALENDAR_FEED))
async def post_calendar_feed(call: ApiCall) -> Reply:
    """POST calendar_feed: a new address; the previous one stops working."""
    token = await calendar_feed.renew(call.conn, call.account.id)
    text = "Calendar feed address created"
    return Reply(documents.feed_document(call.settings.public_base_url, token, text))


@described(Operation("Turn the calendar feed off", (), CALENDAR_FEED))
async def delete_calendar_feed(call: ApiCall) -> Reply:
    """DELETE calendar_feed: the address answers 404 from now on."""
    await calendar_feed.turn_off(call.conn, call.account.id)
    text = "Calendar feed turned off"
    return Reply(documents.feed_document(call.settings.public_base_url, None, text))
