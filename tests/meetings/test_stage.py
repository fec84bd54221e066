"""The stage: a moderator brings an observer on stage (they may publish) and back (put out
of the room as a publisher and refused as one again). A real Janus, the application in this
process, Janus's API spoken by hand through the room pages' relay, over both its transports."""

from __future__ import annotations

import httpx
from tests.support.app import AppServer
from tests.web.test_relay import (  # noqa: F401
    app,
    enter,
    janus,
    meeting,
    publisher_join,
    room_handle,
    transport,
)


def stage(client: httpx.Client, room: str, participant: object, *, on: bool) -> httpx.Response:
    body = {"action": "stage", "participant": participant, "on": on}
    return client.post(f"{room}/moderate", json=body)


def test_a_moderator_brings_an_observer_on_stage_and_back(
    app: AppServer,  # noqa: F811
    transport: str,  # noqa: F811
) -> None:
    lobbies = meeting(app, ("mo@example.com", 1), ("ola@example.com", 3), ("pat@example.com", 2))
    with app.client() as mo, app.client() as ola:
        mo_room = enter(mo, lobbies["mo@example.com"])
        ola_room = enter(ola, lobbies["ola@example.com"])
        ola_id = ola.get(f"{ola_room}/join").json()["participant"]

        on = stage(mo, mo_room, ola_id, on=True)
        assert on.status_code == 200, on.text
        people = {p["participant"]: p for p in mo.get(f"{mo_room}/people").json()["people"]}
        assert people[ola_id].get("onStage") is True
        h = room_handle(ola, ola_room, transport)
        assert h.config["publish"] is True
        assert h.config["watchOnly"] is False
        assert h.send(publisher_join(h)).json()["janus"] == "ack"
        assert h.event()["plugindata"]["data"]["videoroom"] == "joined"

        off = stage(mo, mo_room, ola_id, on=False)
        assert off.status_code == 200, off.text
        kicked = h.event()["plugindata"]["data"]  # Janus puts her publisher out
        assert (kicked.get("leaving"), kicked.get("reason")) == ("ok", "kicked")
        h = room_handle(ola, ola_room, transport)
        assert h.config["publish"] is False
        assert h.config["watchOnly"] is True
        assert h.send(publisher_join(h)).status_code == 403
        people = {p["participant"]: p for p in mo.get(f"{mo_room}/people").json()["people"]}
        assert "onStage" not in people[ola_id]


def test_only_a_moderator_stages_only_an_observer_of_their_own_meeting(
    app: AppServer,  # noqa: F811
) -> None:
    first = meeting(app, ("mo@example.com", 1), ("ola@example.com", 3), ("pat@example.com", 2))
    app.add_account("sam", "sam-secret-123")  # another account's meeting
    other = meeting(app, ("max@example.com", 1), owner=("sam", "sam-secret-123"))
    with app.client() as mo, app.client() as ola, app.client() as pat, app.client() as mx:
        mo_room = enter(mo, first["mo@example.com"])
        ola_room = enter(ola, first["ola@example.com"])
        pat_room = enter(pat, first["pat@example.com"])
        ola_id = ola.get(f"{ola_room}/join").json()["participant"]
        pat_id = pat.get(f"{pat_room}/join").json()["participant"]
        max_room = enter(mx, other["max@example.com"])
        assert mx.get(f"{max_room}/join").status_code == 200  # his room is open

        # another meeting's moderator cannot reach her; nor can she or a participant stage
        refused = stage(mx, max_room, ola_id, on=True)
        assert refused.status_code == 400
        assert refused.json() == {"error": "That person is not an observer in this meeting."}
        assert stage(ola, ola_room, ola_id, on=True).status_code == 403
        assert stage(pat, pat_room, ola_id, on=True).status_code == 403
        # a participant is no observer; a made-up id is nobody
        assert stage(mo, mo_room, pat_id, on=True).status_code == 400
        assert stage(mo, mo_room, "x", on=True).status_code == 400
        # nothing changed
        assert ola.get(f"{ola_room}/join").json()["publish"] is False
        people = mo.get(f"{mo_room}/people").json()["people"]
        assert not [p for p in people if p.get("onStage")]
