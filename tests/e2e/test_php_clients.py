"""The documentation's PHP cURL snippets, run unchanged by real PHP against the real server."""

from __future__ import annotations

import orjson
import pytest
from tests.conftest import ALICE
from tests.support.php import run_php
from tests.support.server import Server

pytestmark = [
    pytest.mark.live,  # PHP's cURL talks to a real socket
    pytest.mark.any_database,  # the PHP snippets
]


def php_prelude(server: Server) -> str:
    login, password = ALICE
    return f"""
$username = '{login}';
$password = '{password}';
$baseurl = '{server.base_url}/api/1/';
"""


def test_authverify_snippet_with_put(server: Server) -> None:
    # Verbatim from the documentation's "GET authverify" example (it sends PUT).
    code = (
        php_prelude(server)
        + r"""
$parameters = array();
// encode as JSON
$json = json_encode($parameters);
$postArgs = 'input_type=json&rest_data=' . $json;
$curl = curl_init();
curl_setopt($curl, CURLOPT_URL, $baseurl.$username.'/authverify');
curl_setopt($curl, CURLOPT_CUSTOMREQUEST, 'PUT');
curl_setopt($curl, CURLOPT_POSTFIELDS, $postArgs);
curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
curl_setopt($curl, CURLOPT_FOLLOWLOCATION, true);
curl_setopt($curl, CURLOPT_USERPWD, $username.':'.$password);
$result = curl_exec($curl);
curl_close($curl);
echo $result;
"""
    )
    output = run_php(code)
    assert "<authenticated>1</authenticated>" in output
    assert "<message>You are authorized to use the API</message>" in output


def test_php_reads_every_php_format_of_authverify(server: Server) -> None:
    code = (
        php_prelude(server)
        + r"""
function fetch($url, $username, $password) {
    $curl = curl_init();
    curl_setopt($curl, CURLOPT_URL, $url);
    curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($curl, CURLOPT_USERPWD, $username.':'.$password);
    $result = curl_exec($curl);
    curl_close($curl);
    return $result;
}
$base = $baseurl.$username.'/authverify/format/';
$out = array(
    'serialize' => unserialize(fetch($base.'serialize', $username, $password)),
    'php' => eval('return ' . fetch($base.'php', $username, $password) . ';'),
    'json' => json_decode(fetch($base.'json', $username, $password), true),
    'xml' => (array) simplexml_load_string(fetch($base.'xml', $username, $password)),
);
echo json_encode($out);
"""
    )
    out = orjson.loads(run_php(code))
    expected = {"authenticated": True, "message": "You are authorized to use the API"}
    assert out["serialize"] == expected
    assert out["php"] == expected
    assert out["json"] == expected
    assert out["xml"] == {"authenticated": "1", "message": expected["message"]}


def test_php_sees_401_for_wrong_credentials(server: Server) -> None:
    code = (
        php_prelude(server)
        + r"""
$curl = curl_init();
curl_setopt($curl, CURLOPT_URL, $baseurl.$username.'/authverify');
curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
curl_setopt($curl, CURLOPT_USERPWD, $username.':not-the-password');
$result = curl_exec($curl);
echo curl_getinfo($curl, CURLINFO_HTTP_CODE);
"""
    )
    assert run_php(code) == "401"
