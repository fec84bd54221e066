"""A whole integration through the client openapi-python-client generated from the served
description, as an integrator would write it: create a session, invite two people, list the
sessions a page at a time, read one in JSON, change it, delete it.

Run by tests/apidocs/test_generated_clients.py in a scratch venv where only the generated
package is installed: `python integration.py BASE_URL LOGIN PASSWORD`. It prints what it saw,
as JSON, for the test to check against the server.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from onstream_api_client import Client
from onstream_api_client.api.invitees import invite, list_invitees
from onstream_api_client.api.sessions import (
    create_session,
    delete_session_by_path,
    get_session,
    get_session_by_path,
    list_sessions,
    update_session,
)
from onstream_api_client.models import (
    CreateSessionJsonBody,
    Format,
    InviteJsonBody,
    ListSessionsOrder,
    Message,
    UpdateSessionJsonBody,
)


def written(answer: object) -> int:
    """The id of a write's `{id, message}`; anything else (an `Error`) stops the run."""
    assert isinstance(answer, Message), answer
    assert isinstance(answer.id, int), answer
    return answer.id


def main(base_url: str, login: str, password: str) -> dict[str, Any]:
    client = Client(
        base_url=f"{base_url}/api/2/{login}",
        headers={"Accept": "application/json"},
        httpx_args={"auth": (login, password)},
        raise_on_unexpected_status=True,
    )
    first = written(
        create_session.sync(
            client=client,
            body=CreateSessionJsonBody(
                topic="Planning", start_time="2030-09-10 16:00:00", duration=45, auto_record=False
            ),
            idempotency_key="generated-client-first",
        )
    )
    second = written(
        create_session.sync(
            client=client,
            body=CreateSessionJsonBody(
                topic="Retro", start_time="2030-09-11 10:00:00", duration=30
            ),
        )
    )
    for email, role in (("ana.integrator@example.com", 2), ("bea.integrator@example.com", 3)):
        written(
            invite.sync(
                client=client,
                body=InviteJsonBody(
                    session_id=first, email=email, role=role, send_email_invitation=True
                ),
            )
        )
    invitees = list_invitees.sync(client=client, id=first)
    page = list_sessions.sync_detailed(client=client, count=1, order=ListSessionsOrder.DESC)
    read = get_session.sync(client=client, id=first, format_=Format.JSON, return_="id;topic")
    written(
        update_session.sync(
            client=client, body=UpdateSessionJsonBody(id=first, topic="Planning, moved")
        )
    )
    changed = get_session_by_path.sync(first, client=client)
    written(delete_session_by_path.sync(first, client=client))
    gone = get_session.sync_detailed(client=client, id=first)
    return {
        "created": [first, second],
        "invitees": {
            "participants": [i.email for i in invitees.participants],
            "observers": [i.email for i in invitees.observers],
        },
        "page": [s.id for s in page.parsed.sessions],
        "total": page.headers["X-Total-Count"],
        "next": page.headers.get("Link", ""),
        "read": read.to_dict(),
        "changed": changed.sessions[0].topic,
        "gone": int(gone.status_code),
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
