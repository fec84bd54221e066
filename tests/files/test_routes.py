"""file / files / file_in_session over real HTTP: links, uploads, sharing (CONTRACT §3, §8)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.api import error, ok, rest
from tests.support.app import AppServer
from tests.support.recordings import media_files, new_session
from tests.support.server import Server

FIELDS = ["id", "file_link", "is_url", "dir_id", "file_description", "created_at"]
LINK = "http://www.domain.com/myFile.swf?someParam=123"


@pytest.fixture
def owner(make_account: MakeAccount) -> httpx.Client:
    return make_account()


def add_link(client: httpx.Client, **fields: Any) -> int:
    body = {"file_link": LINK, "is_url": "1", **fields}
    return int(ok(rest(client, "PUT", "file", body), 201)["id"])


def upload(
    client: httpx.Client, content: bytes, *, name: str = "notes.txt", kind: str = "text/plain"
) -> httpx.Response:
    return client.put(
        "file/format/json",
        data={"is_url": "0", "file_description": "uploaded"},
        files={"file": (name, content, kind)},
    )


def get_file(client: httpx.Client, file_id: int) -> dict[str, Any]:
    body = ok(client.get(f"file/id/{file_id}/format/json"))
    assert len(body["files"]) == 1
    return dict(body["files"][0])


def listing(client: httpx.Client, query: str = "") -> list[int]:
    return [item["id"] for item in ok(client.get(f"files{query}/format/json"))["files"]]


# --- links ----------------------------------------------------------------------------------


def test_put_with_the_documented_php_parameters(owner: httpx.Client) -> None:
    body = {"file_link": LINK, "is_url": "1", "file_description": "This is my flash movie."}
    response = rest(owner, "PUT", "file", body)
    created = ok(response, 201)
    assert created["message"] == "File added"
    assert re.fullmatch(rf"/api/2/acct\d+/file/id/{created['id']}", response.headers["location"])
    item = get_file(owner, created["id"])
    assert list(item) == FIELDS
    assert item["file_link"] == LINK
    assert item["is_url"] is True
    assert item["dir_id"] is None
    assert item["file_description"] == "This is my flash movie."
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["created_at"])


def test_the_documented_example_body_defaults_is_url_to_1(owner: httpx.Client) -> None:
    body = {"file_link": LINK, "is_my_flash_movie": "is my flash movie."}
    file_id = ok(rest(owner, "PUT", "file", body), 201)["id"]
    assert get_file(owner, file_id)["is_url"] is True


def test_put_answers_the_documented_xml(owner: httpx.Client) -> None:
    response = owner.put("file", data={"file_link": LINK})
    assert response.status_code == 201
    root = ET.fromstring(response.content)
    assert (root.tag, root.findtext("message")) == ("xml", "File added")
    listed = ET.fromstring(owner.get("files").content)
    assert listed.tag == "xml"
    item = listed.find("files/item")
    assert item is not None
    assert [child.tag for child in item] == FIELDS
    assert item.findtext("is_url") == "1"


def test_dir_id_is_stored(owner: httpx.Client) -> None:
    assert get_file(owner, add_link(owner, dir_id=7))["dir_id"] == 7
    assert "dir_id" in error(rest(owner, "PUT", "file", {"file_link": LINK, "dir_id": "x"}), 400)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"file_link": "ftp://example.com/a.pdf"}, "http"),
        ({"file_link": "javascript:alert(1)"}, "http"),
        ({"file_link": "/relative/path.pdf"}, "http"),
        ({"file_link": "https://"}, "http"),
        ({"file_link": "http://exa mple.com/"}, "spaces"),
        ({"file_link": "http://[::1/"}, "file_link"),
        ({"file_link": "https://example.com/" + "a" * 2029}, "2048"),
        ({"file_link": LINK, "file_description": "d" * 256}, "255"),
        ({"file_link": ""}, "file_link is required"),
        ({}, "file_link is required"),
        ({"file_link": LINK, "is_url": "maybe"}, "is_url"),
    ],
)
def test_bad_links_are_400_and_write_nothing(
    owner: httpx.Client, fields: dict[str, Any], message: str
) -> None:
    before = listing(owner)
    assert message in error(rest(owner, "PUT", "file", fields), 400)
    assert listing(owner) == before


def test_limits_are_inclusive(owner: httpx.Client) -> None:
    longest = "https://example.com/" + "a" * 2028
    assert len(longest) == 2048
    file_id = add_link(owner, file_link=longest, file_description="d" * 255)
    assert get_file(owner, file_id)["file_link"] == longest


def test_paging_and_order(owner: httpx.Client) -> None:
    ids = [add_link(owner) for _ in range(4)]
    assert listing(owner) == ids
    assert listing(owner, "/count/2/offset/1") == ids[1:3]
    assert listing(owner, "/order/desc") == ids[::-1]
    error(owner.get("files/count/0/format/json"), 400)


def test_delete_then_410(owner: httpx.Client) -> None:
    file_id = add_link(owner)
    body = ok(rest(owner, "DELETE", "file", {"id": file_id}))
    assert body == {"id": file_id, "message": "File was deleted"}
    assert "was deleted" in error(owner.get(f"file/id/{file_id}/format/json"), 410)
    error(rest(owner, "DELETE", "file", {"id": file_id}), 410)
    assert file_id not in listing(owner)
    error(owner.get("file/id/999999/format/json"), 404)
    assert owner.delete(f"file/id/{add_link(owner)}/format/json").status_code == 200


def test_post_file_is_405(owner: httpx.Client) -> None:
    response = rest(owner, "POST", "file", {"id": 1})
    error(response, 405)
    assert response.headers["allow"] == "GET, PUT, DELETE"


# --- uploads --------------------------------------------------------------------------------


def test_upload_gets_a_download_link_that_serves_it(owner: httpx.Client, server: Server) -> None:
    content = b"minutes of the meeting\n" * 100
    created = ok(upload(owner, content), 201)
    item = get_file(owner, created["id"])
    assert item["is_url"] is False
    assert item["file_description"] == "uploaded"
    match = re.fullmatch(
        rf"{server.base_url}/files/([A-Za-z0-9_-]{{32}})/notes\.txt", item["file_link"]
    )
    assert match is not None
    download = server.get(item["file_link"])
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "text/plain"
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''notes.txt"
    assert "sandbox" in download.headers["content-security-policy"]
    assert download.headers["x-content-type-options"] == "nosniff"
    part = server.get(item["file_link"], headers={"range": "bytes=0-7"})
    assert (part.status_code, part.content) == (206, b"minutes ")
    other_name = item["file_link"].rsplit("/", 1)[0] + "/anything.bin"
    assert server.get(other_name).content == content


def test_uploaded_names_are_cleaned_and_media_shown_inline(
    server: Server, owner: httpx.Client
) -> None:
    created = ok(upload(owner, b"RIFF", name="../../etc/clip 1.wav", kind="audio/wav"), 201)
    link = get_file(owner, created["id"])["file_link"]
    assert link.endswith("/clip%201.wav")
    download = server.get(link)
    assert download.headers["content-type"] == "audio/wav"
    assert download.headers["content-disposition"].startswith("inline;")
    html = ok(upload(owner, b"<script>alert(1)</script>", name="x.html", kind="text/html"), 201)
    served = server.get(get_file(owner, html["id"])["file_link"])
    assert served.headers["content-disposition"].startswith("attachment;")


def test_is_url_0_needs_a_file(owner: httpx.Client) -> None:
    assert "multipart" in error(rest(owner, "PUT", "file", {"is_url": 0, "file_link": LINK}), 400)
    as_text = owner.put("file/format/json", files={"is_url": (None, "0"), "file": (None, "text")})
    assert "multipart" in error(as_text, 400)


def test_deleting_an_upload_removes_its_bytes(owner: httpx.Client, server: Server) -> None:
    before = media_files(server)
    file_id = ok(upload(owner, b"temporary"), 201)["id"]
    (blob,) = media_files(server) - before
    link = get_file(owner, file_id)["file_link"]
    ok(rest(owner, "DELETE", "file", {"id": file_id}))
    assert not blob.exists()
    assert server.get(link).status_code == 404


@pytest.mark.parametrize(
    "path", ["/files/short/x", "/files/../../etc/passwd", "/files/" + "A" * 32 + "/x"]
)
def test_download_links_that_name_nothing_are_404(server: Server, path: str) -> None:
    assert server.get(server.base_url + path).status_code == 404


@pytest.fixture(scope="module")
def small_uploads(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[Path], str]
) -> Iterator[tuple[Server, httpx.Client]]:
    """A server of its own whose upload limit is 1000 bytes and body limit 500 bytes."""
    workdir: Path = tmp_path_factory.mktemp("small-uploads")
    app = AppServer(
        workdir=workdir,
        database_url=new_database(workdir),
        extra_env={"ONSTREAM_UPLOAD_MAX_BYTES": "1000", "ONSTREAM_MAX_BODY_BYTES": "500"},
    ).start()
    app.add_account("uploader", "up-load-123", email="u@example.com")
    with app.api_client("uploader", "up-load-123") as client:
        yield app, client
    app.close()


def test_upload_limit_from_configuration(small_uploads: tuple[Server, httpx.Client]) -> None:
    proc, client = small_uploads
    # The whole body is bigger than ONSTREAM_MAX_BODY_BYTES: multipart uploads have their own limit.
    assert upload(client, b"x" * 1000).status_code == 201
    too_big = upload(client, b"x" * 1001)
    assert "1000 bytes" in error(too_big, 413)
    far_too_big = upload(client, b"x" * (2 * 1024 * 1024))
    error(far_too_big, 413)
    assert len(media_files(proc)) == 1
    error(rest(client, "PUT", "file", {"file_link": LINK, "file_description": "d" * 600}), 413)


# --- file_in_session ------------------------------------------------------------------------


def share(client: httpx.Client, file_id: int, session_id: int, **fields: Any) -> httpx.Response:
    return rest(
        client,
        "PUT",
        "file_in_session",
        {"file_id": str(file_id), "session_id": str(session_id), **fields},
    )


def test_file_in_session_with_the_documented_body(owner: httpx.Client) -> None:
    file_id, session_id = add_link(owner), new_session(owner)
    response = share(owner, file_id, session_id, is_auto_opening="1")
    body = ok(response, 201)
    assert body["message"] == "File added to session"
    assert isinstance(body["id"], int)
    assert "location" not in response.headers
    assert "already" in error(share(owner, file_id, session_id), 409)
    other_session = new_session(owner)
    assert ok(share(owner, file_id, other_session), 201)["id"] != body["id"]


def test_file_in_session_same_pair_raced_is_one_201(owner: httpx.Client) -> None:
    file_id, session_id = add_link(owner), new_session(owner)
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(
            pool.map(lambda _: share(owner, file_id, session_id).status_code, range(12))
        )
    assert sorted(statuses) == [201] + [409] * 11


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"is_auto_opening": "2"}, 400, "is_auto_opening"),
        ({"file_id": "999999"}, 404, "File 999999"),
        ({"session_id": "999999"}, 404, "Session 999999"),
        ({"file_id": None}, 400, "file_id"),
        ({"session_id": "abc"}, 400, "session_id"),
    ],
)
def test_file_in_session_errors(
    owner: httpx.Client, fields: dict[str, Any], status: int, message: str
) -> None:
    body = {"file_id": str(add_link(owner)), "session_id": str(new_session(owner)), **fields}
    body = {name: value for name, value in body.items() if value is not None}
    assert message in error(rest(owner, "PUT", "file_in_session", body), status)


def test_file_in_session_with_deleted_file_or_session_is_410(owner: httpx.Client) -> None:
    file_id, session_id = add_link(owner), new_session(owner)
    ok(rest(owner, "DELETE", "session", {"id": session_id}))
    error(share(owner, file_id, session_id), 410)
    live_session = new_session(owner)
    ok(rest(owner, "DELETE", "file", {"id": file_id}))
    error(share(owner, file_id, live_session), 410)


# --- isolation ------------------------------------------------------------------------------


def test_another_account_gets_404_everywhere(
    owner: httpx.Client, make_account: MakeAccount
) -> None:
    file_id, session_id = add_link(owner), new_session(owner)
    intruder = make_account()
    own_file, own_session = add_link(intruder), new_session(intruder)
    error(intruder.get(f"file/id/{file_id}/format/json"), 404)
    error(rest(intruder, "DELETE", "file", {"id": file_id}), 404)
    error(share(intruder, file_id, own_session), 404)
    error(share(intruder, own_file, session_id), 404)
    assert listing(intruder) == [own_file]
    assert get_file(owner, file_id)["file_link"] == LINK
