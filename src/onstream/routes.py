"""Every API resource and the handler of each HTTP method it answers: the one route table."""

from __future__ import annotations

from onstream.invitees import routes as invitees
from onstream.protocol.resources import Resource
from onstream.sessions import routes as sessions
from onstream.users import routes as users

RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource("authverify", {"GET": users.authverify, "PUT": users.authverify}),
        Resource("user", {"GET": users.get_user, "PUT": users.put_user, "POST": users.post_user}),
        Resource(
            "session",
            {
                "GET": sessions.get_session,
                "PUT": sessions.put_session,
                "POST": sessions.post_session,
                "DELETE": sessions.delete_session,
            },
        ),
        Resource("sessions", {"GET": sessions.get_sessions}),
        Resource(
            "invitee",
            {
                "PUT": invitees.put_invitee,
                "POST": invitees.post_invitee,
                "DELETE": invitees.delete_invitee,
            },
        ),
        Resource("invitees", {"GET": invitees.get_invitees}),
    )
}
