"""recording / recordings over real HTTP, and `onstream recording add` (CONTRACT §3, §8, §10)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.recordings import (
    add_recording,
    get_recording,
    login_of,
    media_files,
    new_session,
    wav_bytes,
)
from tests.support.server import Server

FIELDS = [
    "id",
    "session_id",
    "title",
    "description",
    "password",
    "duration",
    "allow_anonymous_playback",
    "recording_link",
    "creation_date",
]


@pytest.fixture
def owner(make_account: MakeAccount) -> httpx.Client:
    return make_account()


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "call.wav"
    path.write_bytes(wav_bytes(0.2))
    return path


def listing(client: httpx.Client, query: str = "") -> list[int]:
    body = ok(client.get(f"recordings{query}/format/json"))
    return [item["id"] for item in body["recordings"]]


# --- adding (the operator's command) --------------------------------------------------------


def test_add_prints_the_id_and_get_answers_the_documented_fields(
    owner: httpx.Client, server: Server
) -> None:
    session_id = new_session(owner, password="some-password")
    recording_id = add_recording(
        server, owner, session_id, description="This is my first recording"
    )
    recording = get_recording(owner, recording_id)
    assert list(recording) == FIELDS
    assert recording["id"] == recording_id
    assert recording["session_id"] == session_id
    assert recording["title"] == "My first recording"
    assert recording["description"] == "This is my first recording"
    assert recording["password"] == "some-password"  # inherited from its session
    assert recording["duration"] == 25880
    assert recording["allow_anonymous_playback"] is False
    link = f"{server.base_url}/play/{recording_id}-My-first-recording"
    assert recording["recording_link"] == link
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", recording["creation_date"])


def test_without_session_password_the_recording_has_none(
    owner: httpx.Client, server: Server
) -> None:
    recording_id = add_recording(server, owner, new_session(owner))
    assert get_recording(owner, recording_id)["password"] is None
    assert get_recording(owner, recording_id)["description"] is None


def test_creation_date_is_wall_time_in_the_sessions_zone(
    owner: httpx.Client, server: Server
) -> None:
    session_id = new_session(owner, timezone="UP55")  # +5:30, no DST
    shown = get_recording(owner, add_recording(server, owner, session_id))["creation_date"]
    expected = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=5, minutes=30)
    assert abs(datetime.strptime(shown, "%Y-%m-%d %H:%M:%S") - expected) < timedelta(minutes=2)


def test_media_is_copied_into_the_media_store(
    owner: httpx.Client, server: Server, wav: Path
) -> None:
    before = media_files(server)
    add_recording(server, owner, new_session(owner), media=wav)
    (added,) = media_files(server) - before
    assert added.read_bytes() == wav.read_bytes()
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", added.name)
    wav.unlink()  # a copy, not a reference to the operator's file
    assert added.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"owner": "nobody-here"}, "no account with login 'nobody-here'"),
        ({"session": "999999"}, "Session 999999 does not exist"),
        ({"media": "/nonexistent/clip.mp4"}, "media file '/nonexistent/clip.mp4' does not exist"),
        ({"duration-ms": "-5"}, "duration"),
        ({"title": " "}, "title"),
    ],
)
def test_add_errors_are_one_clear_line_and_exit_1(
    owner: httpx.Client, server: Server, change: dict[str, str], message: str
) -> None:
    options = {
        "owner": login_of(owner),
        "session": str(new_session(owner)),
        "title": "T",
        "duration-ms": "1000",
        **change,
    }
    args = [part for name, value in options.items() for part in (f"--{name}", value)]
    before = media_files(server)
    result = server.cli("recording", "add", *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert media_files(server) == before


def test_add_refuses_a_session_of_another_account_and_a_deleted_one(
    owner: httpx.Client, make_account: MakeAccount, server: Server, wav: Path
) -> None:
    other_session = new_session(make_account())
    before = media_files(server)
    args = ["--owner", login_of(owner), "--title", "T", "--duration-ms", "5", "--media", str(wav)]
    result = server.cli("recording", "add", *args, "--session", str(other_session))
    assert result.returncode == 1
    assert f"Session {other_session} does not exist" in result.stderr
    deleted = new_session(owner)
    ok(rest(owner, "DELETE", "session", {"id": deleted}))
    result = server.cli("recording", "add", *args, "--session", str(deleted))
    assert result.returncode == 1
    assert f"Session {deleted} was deleted" in result.stderr
    assert media_files(server) == before


# --- reading --------------------------------------------------------------------------------


def test_xml_has_the_documented_shape(owner: httpx.Client, server: Server) -> None:
    session_id = new_session(owner)
    recording_id = add_recording(server, owner, session_id)
    for path in (f"recording/id/{recording_id}", f"recordings/session/{session_id}"):
        root = ET.fromstring(owner.get(path).content)
        assert root.tag == "root"
        item = root.find("recordings/recording")
        assert item is not None
        assert [child.tag for child in item] == FIELDS
        assert item.findtext("allow_anonymous_playback") == "0"
        assert item.findtext("duration") == "25880"
        assert item.findtext("password") == ""


def test_session_filter_paging_and_order(owner: httpx.Client, server: Server) -> None:
    first, second = new_session(owner), new_session(owner)
    ids = [add_recording(server, owner, s) for s in (first, second, first, second)]
    assert listing(owner) == ids
    assert listing(owner, f"/session/{first}") == [ids[0], ids[2]]
    assert listing(owner, f"/session/{second}/order/desc") == [ids[3], ids[1]]
    assert listing(owner, "/count/2/offset/1") == ids[1:3]
    assert listing(owner, "/order/desc/count/1") == [ids[3]]
    by_query = ok(owner.get("recordings/format/json", params={"session": second}))
    assert [item["id"] for item in by_query["recordings"]] == [ids[1], ids[3]]


def test_return_selects_fields(owner: httpx.Client, server: Server) -> None:
    recording_id = add_recording(server, owner, new_session(owner))
    body = ok(owner.get("recordings/return/title;id;duration/format/json"))
    assert body["recordings"] == [
        {"title": "My first recording", "id": recording_id, "duration": 25880}
    ]
    assert "secret" in error(owner.get("recordings/return/id;secret/format/json"), 400)
    body = ok(owner.get(f"recording/id/{recording_id}/return/recording_link/format/json"))
    assert list(body["recordings"][0]) == ["recording_link"]


@pytest.mark.parametrize(
    "query", ["/count/0", "/count/1001", "/offset/-1", "/order/up", "/session/x"]
)
def test_bad_listing_parameters_are_400(owner: httpx.Client, query: str) -> None:
    error(owner.get(f"recordings{query}/format/json"), 400)


def test_session_filter_must_name_a_session_of_this_account(
    owner: httpx.Client, make_account: MakeAccount, server: Server
) -> None:
    other = make_account()
    other_session = new_session(other)
    add_recording(server, other, other_session)
    error(owner.get(f"recordings/session/{other_session}/format/json"), 404)
    error(owner.get("recordings/session/999999/format/json"), 404)


def test_recordings_outlive_their_deleted_session(owner: httpx.Client, server: Server) -> None:
    session_id = new_session(owner)
    recording_id = add_recording(server, owner, session_id)
    ok(rest(owner, "DELETE", "session", {"id": session_id}))
    assert get_recording(owner, recording_id)["session_id"] == session_id
    assert listing(owner, f"/session/{session_id}") == [recording_id]


def test_unknown_recording_is_404_and_missing_id_400(owner: httpx.Client) -> None:
    assert "999999" in error(owner.get("recording/id/999999/format/json"), 404)
    error(owner.get("recording/format/json"), 400)


# --- changing and deleting ------------------------------------------------------------------


def test_post_edits_the_documented_fields(owner: httpx.Client, server: Server) -> None:
    recording_id = add_recording(server, owner, new_session(owner, password="old"))
    body = {
        "id": recording_id,
        "title": "My recording",
        "description": "More info about my recording",
        "password": "some-password",
        "allow_anonymous_playback": 1,
    }
    assert ok(rest(owner, "POST", "recording", body)) == {
        "id": recording_id,
        "message": "Recording updated",
    }
    recording = get_recording(owner, recording_id)
    assert recording["title"] == "My recording"
    assert recording["description"] == "More info about my recording"
    assert recording["password"] == "some-password"
    assert recording["allow_anonymous_playback"] is True
    assert recording["recording_link"].endswith(f"/play/{recording_id}-My-recording")
    ok(rest(owner, "POST", "recording", {"id": recording_id, "password": "", "description": ""}))
    recording = get_recording(owner, recording_id)
    assert recording["password"] is None
    assert recording["description"] is None
    assert recording["title"] == "My recording"


def test_post_answers_the_documented_xml(owner: httpx.Client, server: Server) -> None:
    recording_id = add_recording(server, owner, new_session(owner))
    response = owner.post("recording", data={"id": recording_id, "title": "X"})
    root = ET.fromstring(response.content)
    assert (root.tag, root.findtext("id"), root.findtext("message")) == (
        "xml",
        str(recording_id),
        "Recording updated",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "x" * 256),
        ("description", "d" * 2001),
        ("password", "p" * 256),
        ("allow_anonymous_playback", "maybe"),
    ],
)
def test_bad_post_is_400_and_changes_nothing(
    owner: httpx.Client, server: Server, field: str, value: str
) -> None:
    recording_id = add_recording(server, owner, new_session(owner))
    before = get_recording(owner, recording_id)
    body = {"id": recording_id, "description": "changed anyway", field: value}
    assert field in error(rest(owner, "POST", "recording", body), 400)
    assert get_recording(owner, recording_id) == before


def test_put_recording_is_405_with_allow(owner: httpx.Client) -> None:
    response = rest(owner, "PUT", "recording", {"title": "T", "session_id": 1})
    error(response, 405)
    assert response.headers["allow"] == "GET, POST, DELETE"
    assert rest(owner, "DELETE", "recordings", {}).headers["allow"] == "GET"


def test_delete_removes_it_and_its_media_then_410(
    owner: httpx.Client, server: Server, wav: Path
) -> None:
    before = media_files(server)
    recording_id = add_recording(server, owner, new_session(owner), media=wav)
    (blob,) = media_files(server) - before
    body = ok(rest(owner, "DELETE", "recording", {"id": recording_id}))
    assert body == {"id": recording_id, "message": "Recording was deleted"}
    assert not blob.exists()
    assert "was deleted" in error(owner.get(f"recording/id/{recording_id}/format/json"), 410)
    error(rest(owner, "POST", "recording", {"id": recording_id, "title": "T"}), 410)
    error(rest(owner, "DELETE", "recording", {"id": recording_id}), 410)
    assert recording_id not in listing(owner)
    with server.client() as web:
        assert web.get(f"/play/{recording_id}-My-first-recording").status_code == 404
        assert web.get(f"/play/{recording_id}/media").status_code == 404


def test_delete_takes_the_id_from_the_url(owner: httpx.Client, server: Server) -> None:
    recording_id = add_recording(server, owner, new_session(owner))
    response = owner.delete(f"recording/id/{recording_id}/format/json")
    assert ok(response)["message"] == "Recording was deleted"


def test_another_account_gets_404_everywhere(
    owner: httpx.Client, make_account: MakeAccount, server: Server
) -> None:
    recording_id = add_recording(server, owner, new_session(owner))
    intruder = make_account()
    error(intruder.get(f"recording/id/{recording_id}/format/json"), 404)
    error(rest(intruder, "POST", "recording", {"id": recording_id, "title": "Mine"}), 404)
    error(rest(intruder, "DELETE", "recording", {"id": recording_id}), 404)
    assert listing(intruder) == []
    assert get_recording(owner, recording_id)["title"] == "My first recording"
