"""HTTP Digest (RFC 7616) for API tokens over real HTTP: curl and PHP's cURL as clients,
replayed nonce counts, passwords and expired nonces refused."""

from __future__ import annotations

import hashlib
import subprocess
import time

import httpx
import pytest
from tests.conftest import MakeAccount
from tests.support.digest import digest_header, nonce_of
from tests.support.php import run_php
from tests.support.server import ServerProcess

from onstream.protocol.digest import make_nonce
from onstream.storage.secrets import DIGEST_NONCE_KEY, read_secret

pytestmark = pytest.mark.live  # curl and PHP talk to a real `onstream serve` over a socket


def login_of(client: httpx.Client) -> str:
    return str(client.base_url).rstrip("/").split("/")[-1]


def create_token(server: ServerProcess, login: str, *args: str) -> str:
    result = server.cli("token", "create", login, "--name", "digest", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def curl_digest(url: str, login: str, secret: str) -> tuple[str, str]:
    """curl --digest: (the status, the Authorization header curl sent the second time)."""
    result = subprocess.run(
        ["curl", "-s", "-v", "--digest", "-u", f"{login}:{secret}", "-o", "/dev/null",
         "-w", "%{http_code}", url],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    sent = [line for line in result.stderr.splitlines() if "Authorization: Digest" in line]
    return result.stdout, sent[-1] if sent else ""


def test_curl_digest_with_a_token_uses_sha256(
    server: ServerProcess, make_account: MakeAccount
) -> None:
    login = login_of(make_account())
    token = create_token(server, login)
    url = f"{server.base_url}/api/2/{login}/authverify/format/json?x=1"
    status, sent = curl_digest(url, login, token)
    assert status == "200"
    assert "algorithm=SHA-256" in sent  # curl takes the first Digest challenge: SHA-256
    assert "qop=auth" in sent


def test_curl_digest_with_the_password_is_refused(
    server: ServerProcess, make_account: MakeAccount
) -> None:
    login = login_of(make_account())
    create_token(server, login)
    url = f"{server.base_url}/api/2/{login}/authverify"
    status, sent = curl_digest(url, login, f"{login}-password")
    assert sent  # curl did answer the challenge, with the password
    assert status == "401"


def test_php_curl_digest_with_a_token(server: ServerProcess, make_account: MakeAccount) -> None:
    login = login_of(make_account())
    token = create_token(server, login)
    code = f"""
$curl = curl_init();
curl_setopt($curl, CURLOPT_URL, '{server.base_url}/api/2/{login}/authverify/format/json');
curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
curl_setopt($curl, CURLOPT_HTTPAUTH, CURLAUTH_DIGEST);
curl_setopt($curl, CURLOPT_USERPWD, '{login}:{token}');
curl_setopt($curl, CURLINFO_HEADER_OUT, true);
$result = curl_exec($curl);
$sent = curl_getinfo($curl, CURLINFO_HEADER_OUT);
echo curl_getinfo($curl, CURLINFO_HTTP_CODE), "\\n";
preg_match('/algorithm=([A-Za-z0-9-]+)/', $sent, $m);
echo $m[1], "\\n", $result;
"""
    status, algorithm, body = run_php(code).split("\n", 2)
    assert status == "200"
    assert algorithm == "SHA-256"  # PHP's cURL is libcurl: it takes SHA-256 too
    assert '"authenticated":true' in body


def test_md5_digest_works_too(server: ServerProcess, make_account: MakeAccount) -> None:
    login = login_of(make_account())
    token = create_token(server, login)
    uri = f"/api/2/{login}/authverify"
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        nonce = nonce_of(client.get(uri))
        header = digest_header(login, token, method="GET", uri=uri, nonce=nonce, algorithm="MD5")
        assert client.get(uri, headers={"authorization": header}).status_code == 200


def test_two_clients_challenged_at_once_both_get_in(
    server: ServerProcess, make_account: MakeAccount
) -> None:
    people = [login_of(make_account()) for _ in range(2)]
    tokens = [create_token(server, login) for login in people]
    uris = [f"/api/2/{login}/authverify" for login in people]
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        nonces = [nonce_of(client.get(uri)) for uri in uris]  # within the same second, mostly
        assert nonces[0] != nonces[1]
        for login, token, uri, nonce in zip(people, tokens, uris, nonces, strict=True):
            header = digest_header(login, token, method="GET", uri=uri, nonce=nonce)
            assert client.get(uri, headers={"authorization": header}).status_code == 200


def test_a_replayed_nonce_count_is_refused(
    server: ServerProcess, make_account: MakeAccount
) -> None:
    login = login_of(make_account())
    token = create_token(server, login)
    uri = f"/api/2/{login}/authverify"
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        nonce = nonce_of(client.get(uri))
        header = digest_header(login, token, method="GET", uri=uri, nonce=nonce)
        assert client.get(uri, headers={"authorization": header}).status_code == 200
        replayed = client.get(uri, headers={"authorization": header})
        assert replayed.status_code == 401
        again = digest_header(login, token, method="GET", uri=uri, nonce=nonce, nc="00000002")
        assert client.get(uri, headers={"authorization": again}).status_code == 200
        other_uri = f"/api/2/{login}/sessions"
        moved = digest_header(login, token, method="GET", uri=uri, nonce=nonce, nc="00000003")
        assert client.get(other_uri, headers={"authorization": moved}).status_code == 401


def test_the_password_never_works_over_digest(
    server: ServerProcess, make_account: MakeAccount
) -> None:
    login = login_of(make_account())
    uri = f"/api/2/{login}/authverify"
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        nonce = nonce_of(client.get(uri))
        for algorithm in ("SHA-256", "MD5"):
            header = digest_header(
                login, f"{login}-password", method="GET", uri=uri, nonce=nonce, algorithm=algorithm
            )
            assert client.get(uri, headers={"authorization": header}).status_code == 401


def test_an_expired_nonce_is_answered_stale(
    server: ServerProcess, make_account: MakeAccount
) -> None:
    login = login_of(make_account())
    token = create_token(server, login)
    secret = server.run(lambda conn: read_secret(conn, DIGEST_NONCE_KEY), write=False)
    key = hashlib.sha256(secret.encode()).digest()
    old = make_nonce(key, time.time() - 600)
    uri = f"/api/2/{login}/authverify"
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        header = digest_header(login, token, method="GET", uri=uri, nonce=old)
        response = client.get(uri, headers={"authorization": header})
        assert response.status_code == 401
        offered = response.headers.get_list("www-authenticate")
        assert all("stale=true" in c for c in offered[:2])
        assert offered[2].startswith("Basic ")
        # a wrong token with the same old nonce is wrong, not stale
        wrong = digest_header(login, "ost_" + "x" * 43, method="GET", uri=uri, nonce=old)
        refused = client.get(uri, headers={"authorization": wrong})
        assert refused.status_code == 401
        assert "stale" not in refused.headers["www-authenticate"]


def test_a_read_only_token_over_digest_still_may_not_write(
    server: ServerProcess, make_account: MakeAccount
) -> None:
    login = login_of(make_account())
    token = create_token(server, login, "--read-only")
    uri = f"/api/2/{login}/session/format/json"
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        nonce = nonce_of(client.put(uri))
        header = digest_header(login, token, method="PUT", uri=uri, nonce=nonce)
        body = {"topic": "t", "duration": "30", "start_time": "2031-01-01 10:00:00"}
        response = client.put(uri, data=body, headers={"authorization": header})
        assert response.status_code == 403
        assert "read-only" in response.json()["error"]


def test_token_list_tells_which_tokens_do_digest_and_a_rename_leaves_basic_only(
    server: ServerProcess, make_account: MakeAccount
) -> None:
    owner = make_account()
    login = login_of(owner)
    token = create_token(server, login)
    line = server.cli("token", "list", login).stdout.splitlines()[-1]
    assert line.startswith("digest")
    assert line.endswith("basic, digest")
    new_login = f"{login}-renamed"
    renamed = owner.post(
        "user/format/json", data={"input_type": "json", "rest_data": f'{{"login":"{new_login}"}}'}
    )
    assert renamed.status_code == 301
    line = server.cli("token", "list", new_login).stdout.splitlines()[-1]
    assert line.endswith("basic only")
    url = f"{server.base_url}/api/2/{new_login}/authverify"
    assert curl_digest(url, new_login, token)[0] == "401"
    with httpx.Client(timeout=10) as client:
        assert client.get(url, auth=(new_login, token)).status_code == 200
