"""A person a moderator removed stays out of that meeting until a moderator lets them back
in, and the lobby of a recorded meeting says so before anybody enters; the owner appears by
the account's name. A real Janus, the application in this process, the pages over HTTP."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from tests.support.api import ok, rest
from tests.support.app import AppServer

from onstream.clock import utcnow
from onstream.janus import JanusProcess

LOGIN, PASSWORD = "rita", "rita-secret-12"
REMOVED = "You were removed from this meeting."
RECORDED = "This meeting is recorded."


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JanusProcess]:
    process = JanusProcess(tmp_path_factory.mktemp("janus"), admin_key=secrets.token_urlsafe(16))
    process.start()
    yield process
    process.stop()


@dataclass
class Site:
    """The application with its rooms on a real Janus, and one owner's API client."""

    app: AppServer
    api: httpx.Client

    def meeting(self, **fields: Any) -> tuple[str, dict[str, str]]:
        """A session that started a minute ago: the path of its host lobby and the paths of
        its invitees' personal lobbies, by e-mail."""
        start = utcnow() - timedelta(minutes=1)
        data = {"topic": "Removal", "duration": 30, "timezone": "UTC"}
        data |= {"start_time": f"{start:%Y-%m-%d %H:%M:%S}", **fields}
        session_id = ok(rest(self.api, "PUT", "session", data), 201)["id"]
        found = ok(self.api.get(f"session/id/{session_id}/return/host_link/format/json"))
        groups = ok(self.api.get(f"invitees/id/{session_id}/format/json"))
        links = {
            person["email"]: urlsplit(person["personal_session_link"]).path
            for group in groups.values()
            for person in group
        }
        return urlsplit(found["sessions"][0]["host_link"]).path, links


@pytest.fixture
def site(
    tmp_path: Path, new_database: Callable[[Path], str], janus: JanusProcess
) -> Iterator[Site]:
    app = AppServer(
        workdir=tmp_path,
        database_url=new_database(tmp_path),
        extra_env={
            "ONSTREAM_JANUS_URLS": janus.url,
            "ONSTREAM_JANUS_ADMIN_KEY": janus.admin_key,
            "ONSTREAM_RECORDINGS_DIR": str(tmp_path / "recordings"),
        },
    )
    app.start()
    app.add_account(LOGIN, PASSWORD)
    with app.client(f"/api/2/{LOGIN}/", auth=(LOGIN, PASSWORD)) as api:
        yield Site(app, api)
    app.close()


def invitee(email: str, role: int = 2) -> dict[str, Any]:
    return {"email": email, "first_name": email.split("@")[0].title(), "role": role,
            "send_email_invitation": 0}  # fmt: skip


def enter(client: httpx.Client, lobby: str, form: dict[str, str] | None = None) -> str:
    """Press "Join now" on a lobby; the path of the room page it leads to."""
    entered = client.post(lobby, data=form or {}, follow_redirects=False)
    assert entered.status_code == 303, entered.text
    return str(entered.headers["location"])


def participant(client: httpx.Client, room: str) -> int:
    """The Janus id of the person of this room page (from its join config)."""
    answer = client.get(f"{room}/join")
    assert answer.status_code == 200, answer.text
    return int(answer.json()["participant"])


def moderate(client: httpx.Client, room: str, **body: Any) -> httpx.Response:
    return client.post(f"{room}/moderate", json=body)


def test_the_owner_appears_by_the_accounts_name_or_else_its_login(site: Site) -> None:
    host_lobby, _ = site.meeting()
    with site.app.client() as host:
        unnamed = host.get(host_lobby)
        assert unnamed.status_code == 200
        assert f"<dt>Host</dt>\n  <dd>{LOGIN} <span" in unnamed.text
        body = {"first_name": "Rita", "last_name": "Moreno"}
        assert ok(rest(site.api, "POST", "user", body))["message"] == "User updated"
        assert "<dd>Rita Moreno <span" in host.get(host_lobby).text
        host_room = enter(host, host_lobby)
        assert '"Rita Moreno"' in host.get(host_room).text  # the room's own config
        participant(host, host_room)
        people = host.get(f"{host_room}/people").json()["people"]
        assert [p["name"] for p in people] == ["Rita Moreno"]


def test_a_removed_invitee_stays_out_until_a_moderator_lets_them_back_in(site: Site) -> None:
    host_lobby, links = site.meeting(invited_participants=[invitee("ann@example.com")])
    ann_lobby = links["ann@example.com"]
    with site.app.client() as host, site.app.client() as ann:
        host_room = enter(host, host_lobby)
        ann_room = enter(ann, ann_lobby)
        ann_id = participant(ann, ann_room)

        assert moderate(host, host_room, action="remove", participant=ann_id).status_code == 200
        # her personal link says so, offers no button, and refuses to let her in again
        lobby = ann.get(ann_lobby)
        assert lobby.status_code == 200
        assert REMOVED in lobby.text
        assert 'id="enter"' not in lobby.text
        refused = ann.post(ann_lobby, follow_redirects=False)
        assert refused.status_code == 403
        assert REMOVED in refused.text
        assert ann.get(f"{ann_room}/join").status_code == 404
        # the moderators' list names her as removed; the others' lists do not
        people = host.get(f"{host_room}/people").json()
        assert [p["participant"] for p in people["removed"]] == [ann_id]
        assert ann_id not in [p["participant"] for p in people["people"]]

        assert moderate(host, host_room, action="readmit", participant=ann_id).status_code == 200
        assert REMOVED not in ann.get(ann_lobby).text
        again = enter(ann, ann_lobby)
        assert participant(ann, again) != ann_id  # a new admission, a new Janus id
        assert host.get(f"{host_room}/people").json()["removed"] == []
        # letting in someone who is not removed is a clear error that changes nothing
        answer = moderate(host, host_room, action="readmit", participant=ann_id)
        assert answer.status_code == 400
        assert answer.json() == {"error": "That person was not removed."}


def test_only_a_moderator_lets_a_removed_person_back_in(site: Site) -> None:
    host_lobby, links = site.meeting(
        invited_participants=[invitee("bob@example.com"), invitee("cat@example.com")]
    )
    with site.app.client() as host, site.app.client() as bob, site.app.client() as cat:
        host_room = enter(host, host_lobby)
        bob_room = enter(bob, links["bob@example.com"])
        cat_room = enter(cat, links["cat@example.com"])
        bob_id = participant(bob, bob_room)
        assert moderate(host, host_room, action="remove", participant=bob_id).status_code == 200

        answer = moderate(cat, cat_room, action="readmit", participant=bob_id)
        assert answer.status_code == 403
        assert "removed" not in cat.get(f"{cat_room}/people").json()  # only moderators see it
        # the moderator of another meeting cannot let him back into this one
        other_lobby, _ = site.meeting()
        with site.app.client() as other:
            other_room = enter(other, other_lobby)
            participant(other, other_room)
            answer = moderate(other, other_room, action="readmit", participant=bob_id)
            assert answer.status_code == 400
            assert other.get(f"{other_room}/people").json()["removed"] == []
        assert bob.post(links["bob@example.com"], follow_redirects=False).status_code == 403


def test_a_removed_guest_of_the_public_page_is_refused_in_that_browser(site: Site) -> None:
    host_lobby, _ = site.meeting(password="open-sesame")
    with site.app.client() as host, site.app.client() as guest, site.app.client() as other:
        host_room = enter(host, host_lobby)
        config = ok(site.api.get("sessions/format/json"))
        public = urlsplit(config["sessions"][0]["session_link"]).path
        form = {"name": "Gus", "passcode": "open-sesame"}
        guest_room = enter(guest, public, form)
        guest_id = participant(guest, guest_room)
        assert moderate(host, host_room, action="remove", participant=guest_id).status_code == 200

        refused = guest.post(public, data=form, follow_redirects=False)
        assert refused.status_code == 403
        assert REMOVED in refused.text
        assert REMOVED not in other.get(public).text  # another browser is somebody else
        enter(other, public, {"name": "Olive", "passcode": "open-sesame"})

        assert moderate(host, host_room, action="readmit", participant=guest_id).status_code == 200
        enter(guest, public, form)


def test_the_lobby_says_the_meeting_is_recorded(site: Site) -> None:
    recorded, _ = site.meeting(auto_record=1)
    plain, links = site.meeting(invited_participants=[invitee("dan@example.com")])
    with site.app.client() as client:
        assert RECORDED in client.get(recorded).text
        dan = links["dan@example.com"]
        assert RECORDED not in client.get(dan).text
        host_room = enter(client, plain)
        participant(client, host_room)  # the room opens with its first join
        assert client.get(f"{host_room}/people").json()["recording"] is False
        assert moderate(client, host_room, action="record", on=True).status_code == 200
        assert RECORDED in client.get(dan).text  # a moderator started recording
        assert client.get(f"{host_room}/people").json()["recording"] is True
