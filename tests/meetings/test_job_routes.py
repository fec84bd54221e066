"""GET recording_jobs over real HTTP: the organiser sees recordings still being made, failed
ones with the reason, and the tracks a finished one left out; nobody else sees them."""

from __future__ import annotations

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.recordings import new_session
from tests.support.server import Server
from tests.web.account.test_recordings import add_job

from onstream.clock import utcnow
from onstream.meetings import jobs


@pytest.fixture
def owner(make_account: MakeAccount) -> httpx.Client:
    return make_account()


def listed(client: httpx.Client, query: str = "") -> list[dict[str, object]]:
    found: list[dict[str, object]] = ok(client.get(f"recording_jobs{query}/format/json"))[
        "recording_jobs"
    ]
    return found


def test_pending_failed_and_done_jobs_are_listed_with_reason_and_left_out_tracks(
    server: Server, owner: httpx.Client
) -> None:
    pending_session = new_session(owner, topic="Still going")
    pending = add_job(server, pending_session)
    failed = add_job(
        server,
        new_session(owner, topic="Silent"),
        status=jobs.FAILED,
        attempts=3,
        last_error="no audio or video was recorded",
        finished_at=utcnow(),
    )
    crashed = add_job(
        server,
        new_session(owner, topic="Crashed"),
        status=jobs.FAILED,
        last_error="Traceback (most recent call last): KeyError: 'x'",
    )
    partial = add_job(
        server,
        new_session(owner, topic="Partly there"),
        status=jobs.DONE,
        skipped="video-7.mjr: no playable media\naudio-2.mjr: too short",
    )
    by_id = {job["id"]: job for job in listed(owner)}
    assert list(by_id) == [pending, failed, crashed, partial]
    assert by_id[pending]["status"] == "pending"
    assert by_id[pending]["session_id"] == pending_session
    assert by_id[pending]["reason"] is None
    assert by_id[pending]["finished_at"] is None
    assert by_id[failed]["status"] == "failed"
    assert by_id[failed]["attempts"] == 3
    assert by_id[failed]["reason"] == "no audio or video was recorded"
    assert str(by_id[failed]["finished_at"]).endswith("Z")
    reason = by_id[crashed]["reason"]
    assert reason == "the recording could not be made; the operator has the details"
    assert "Traceback" not in str(by_id[crashed])
    assert by_id[partial]["status"] == "done"
    assert by_id[partial]["skipped_tracks"] == [
        "video-7.mjr: no playable media",
        "audio-2.mjr: too short",
    ]

    assert [job["id"] for job in listed(owner, "/status/failed")] == [failed, crashed]
    assert [job["id"] for job in listed(owner, f"/session/{pending_session}")] == [pending]
    response = owner.get("recording_jobs/order/desc/count/1/format/json")
    assert [job["id"] for job in response.json()["recording_jobs"]] == [partial]
    assert response.headers["X-Total-Count"] == "4"
    refused = owner.get("recording_jobs/status/lost/format/json")
    assert "status must be one of" in error(refused, 400)


def test_a_deleted_sessions_jobs_are_no_longer_listed(server: Server, owner: httpx.Client) -> None:
    session_id = new_session(owner)
    add_job(server, session_id, status=jobs.FAILED, last_error="no audio or video was recorded")
    ok(rest(owner, "DELETE", "session", {"id": session_id}))
    assert listed(owner) == []
    assert listed(owner, f"/session/{session_id}") == []


def test_another_account_sees_nothing_of_the_jobs(
    server: Server, owner: httpx.Client, make_account: MakeAccount
) -> None:
    session_id = new_session(owner)
    add_job(server, session_id, status=jobs.FAILED, last_error="no audio or video was recorded")
    other = make_account()
    assert listed(other) == []
    error(other.get(f"recording_jobs/session/{session_id}/format/json"), 404)
    response = other.get("recording_jobs/format/csv")
    assert response.status_code == 200
    assert "no audio" not in response.text
    assert len(listed(owner)) == 1


@pytest.mark.parametrize("fmt", ["json", "xml", "php", "serialize", "csv", "html"])
def test_every_format_shows_the_jobs(server: Server, owner: httpx.Client, fmt: str) -> None:
    add_job(
        server,
        new_session(owner),
        status=jobs.DONE,
        skipped="video-7.mjr: no playable media",
    )
    response = owner.get(f"recording_jobs/format/{fmt}")
    assert response.status_code == 200, response.text
    assert "video-7.mjr: no playable media" in response.text
    assert "done" in response.text
    if fmt == "xml":
        assert "<recording_jobs><recording_job>" in response.text
