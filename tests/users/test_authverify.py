"""authverify over real HTTP: the first resource, and the wire rules every resource shares."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import httpx
import orjson
import pytest
from tests.conftest import ALICE, BOB

CHALLENGE = 'Basic realm="Onstream API", charset="UTF-8"'


def challenges(response: httpx.Response) -> list[str]:
    """Every `WWW-Authenticate` line: Digest SHA-256, Digest MD5, then Basic."""
    return response.headers.get_list("www-authenticate")


def schemes(response: httpx.Response) -> list[str]:
    """The challenges without their nonces (which move with the clock)."""
    return [re.sub(r'nonce="[^"]*"', "nonce", c) for c in challenges(response)]


def assert_challenged(response: httpx.Response) -> None:
    offered = challenges(response)
    assert offered[-1] == CHALLENGE
    assert [c.split(", algorithm=")[1].split(",")[0] for c in offered[:-1]] == ["SHA-256", "MD5"]
    assert all(c.startswith('Digest realm="Onstream API", qop="auth"') for c in offered[:-1])


AUTHORIZED_XML = (
    "<xml><authenticated>1</authenticated>"
    "<message>You are authorized to use the API</message></xml>"
)


def test_get_answers_the_documented_xml(alice: httpx.Client) -> None:
    response = alice.get("authverify")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert AUTHORIZED_XML in response.text.replace("\n", "")


def test_put_with_the_documented_body_answers_too(alice: httpx.Client) -> None:
    # The documentation's PHP snippet sends PUT with json_encode(array()), i.e. "[]".
    response = alice.put(
        "authverify",
        content="input_type=json&rest_data=[]",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert ET.fromstring(response.content).findtext("authenticated") == "1"


def test_version_one_is_an_alias(anon: httpx.Client) -> None:
    response = anon.get("/api/1/alice/authverify", auth=ALICE)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("authverify/format/json", {}),
        ("authverify.json", {}),
        ("authverify?format=json", {}),
        ("authverify", {"accept": "application/json"}),
        ("authverify/format/JSON", {}),
    ],
)
def test_json_is_selected_every_documented_way(
    alice: httpx.Client, url: str, headers: dict[str, str]
) -> None:
    response = alice.get(url, headers=headers)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "authenticated": True,
        "message": "You are authorized to use the API",
    }


def test_url_format_wins_over_query_and_accept(alice: httpx.Client) -> None:
    response = alice.get(
        "authverify/format/csv?format=json", headers={"accept": "application/json"}
    )
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


def test_body_format_parameter_selects_format_on_put(alice: httpx.Client) -> None:
    response = alice.put("authverify", data={"format": "json"})
    assert response.json()["authenticated"] is True


def test_browser_accept_header_gets_the_default_xml(alice: httpx.Client) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = alice.get("authverify", headers={"accept": browser})
    assert response.headers["content-type"] == "application/xml; charset=utf-8"


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("xml", "application/xml; charset=utf-8"),
        ("json", "application/json; charset=utf-8"),
        ("serialize", "application/vnd.php.serialized"),
        ("php", "text/plain; charset=utf-8"),
        ("html", "text/html; charset=utf-8"),
        ("csv", "text/csv; charset=utf-8"),
    ],
)
def test_every_format_has_its_content_type(
    alice: httpx.Client, fmt: str, content_type: str
) -> None:
    response = alice.get(f"authverify/format/{fmt}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type


def test_unknown_format_is_400_rendered_as_xml(alice: httpx.Client) -> None:
    response = alice.get("authverify/format/yaml")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.findtext("status") == "0"
    assert "yaml" in (root.findtext("error") or "")


def test_missing_credentials_are_401_with_the_challenge(anon: httpx.Client) -> None:
    response = anon.get("/api/2/alice/authverify")
    assert response.status_code == 401
    assert_challenged(response)


def test_wrong_password_is_401(anon: httpx.Client) -> None:
    response = anon.get("/api/2/alice/authverify", auth=("alice", "nope"))
    assert response.status_code == 401
    assert_challenged(response)


def test_unknown_login_is_401_like_a_wrong_password(anon: httpx.Client) -> None:
    wrong = anon.get("/api/2/nobody/authverify", auth=("nobody", "x"))
    assert wrong.status_code == 401
    assert_challenged(wrong)


def test_valid_credentials_of_another_login_are_401_exactly_like_wrong_ones(
    anon: httpx.Client,
) -> None:
    url = "/api/2/alice/authverify/format/json"
    as_bob = anon.get(url, auth=BOB)
    wrong = anon.get(url, auth=("alice", "wrong-password"))
    assert as_bob.status_code == wrong.status_code == 401
    assert as_bob.json() == wrong.json()
    assert schemes(as_bob) == schemes(wrong)


def test_malformed_authorization_is_401(anon: httpx.Client) -> None:
    response = anon.get("/api/2/alice/authverify", headers={"authorization": "Basic %%%"})
    assert response.status_code == 401


def test_utf8_credentials_are_decoded(anon: httpx.Client) -> None:
    token = base64.b64encode("alice:wrong-ä".encode()).decode()
    response = anon.get("/api/2/alice/authverify", headers={"authorization": f"Basic {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/api/3/alice/authverify", "/api/v2/alice/authverify"])
def test_unknown_version_is_404(anon: httpx.Client, path: str) -> None:
    response = anon.get(path, auth=ALICE)
    assert response.status_code == 404


def test_unknown_resource_is_404_in_the_error_shape(alice: httpx.Client) -> None:
    response = alice.get("meetings/format/json")
    assert response.status_code == 404
    body = response.json()
    assert body["status"] is False
    assert "meetings" in body["error"]


@pytest.mark.parametrize("method", ["POST", "DELETE", "PATCH"])
def test_unsupported_method_is_405_with_allow(alice: httpx.Client, method: str) -> None:
    response = alice.request(method, "authverify/format/json")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PUT"
    assert response.json()["status"] is False


@pytest.mark.parametrize("fmt", ["xml", "json", "serialize", "php", "html", "csv"])
def test_errors_render_in_the_requested_format(alice: httpx.Client, fmt: str) -> None:
    response = alice.get(f"nothing-here/format/{fmt}")
    assert response.status_code == 404
    assert "nothing-here" in response.text
    if fmt == "json":
        assert orjson.loads(response.content)["status"] is False


def test_head_answers_like_get_without_a_body(alice: httpx.Client) -> None:
    response = alice.head("authverify")
    assert response.status_code == 200
    assert response.content == b""
