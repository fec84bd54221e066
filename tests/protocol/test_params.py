"""Request parameters: body decoding (CONTRACT §2), source precedence, typed accessors.

`read_body_params` is exercised with starlette `Request`s built from an ASGI scope and a
`receive` callable, so no server is needed; one test has real PHP cURL send the
documentation's request patterns to a recording HTTP server and decodes what arrived.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message, Receive
from tests.support.php import run_php

from onstream.protocol.bodies import close_uploads, read_body_params
from onstream.protocol.errors import BadRequest, PayloadTooLarge
from onstream.protocol.params import Params, merge_params
from onstream.protocol.values import Value

FORM = "application/x-www-form-urlencoded"
LIMIT = 10_000


def make_request(
    body: bytes,
    *,
    content_type: str | None = FORM,
    method: str = "PUT",
    chunk_size: int | None = None,
    content_length: bool = True,
    headers: Sequence[tuple[str, str]] = (),
    receive: Receive | None = None,
) -> Request:
    """A starlette Request whose body arrives in chunks of `chunk_size` bytes."""
    raw_headers = [(name.lower().encode(), value.encode()) for name, value in headers]
    if content_type is not None:
        raw_headers.append((b"content-type", content_type.encode()))
    if content_length:
        raw_headers.append((b"content-length", str(len(body)).encode()))
    size = chunk_size or max(len(body), 1)
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages: list[Message] = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]

    async def next_message() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    scope = {
        "type": "http",
        "method": method,
        "path": "/api/2/alice/session",
        "raw_path": b"/api/2/alice/session",
        "query_string": b"",
        "headers": raw_headers,
        "http_version": "1.1",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 12345),
        "root_path": "",
    }
    return Request(scope, receive or next_message)


def decode(
    body: bytes | str,
    *,
    content_type: str | None = FORM,
    max_body: int = LIMIT,
    chunk_size: int | None = None,
    content_length: bool = True,
) -> dict[str, Value]:
    """read_body_params on a request carrying `body`."""
    raw = body.encode() if isinstance(body, str) else body
    request = make_request(
        raw, content_type=content_type, chunk_size=chunk_size, content_length=content_length
    )
    return asyncio.run(read_body_params(request, max_body=max_body))


def bad_request(body: bytes | str, *, content_type: str | None = FORM) -> str:
    """The message of the BadRequest that decoding `body` raises."""
    with pytest.raises(BadRequest) as caught:
        decode(body, content_type=content_type)
    return caught.value.message


# --- 1. form-urlencoded ---------------------------------------------------------------------


def test_form_name_value_pairs() -> None:
    assert decode("id=1&var2=val2") == {"id": "1", "var2": "val2"}


def test_form_plus_and_percent_decoding() -> None:
    assert decode("topic=Tom+%26+Jerry&email=a%2Bb%40x.com") == {
        "topic": "Tom & Jerry",
        "email": "a+b@x.com",
    }


def test_form_php_brackets_become_lists_of_objects() -> None:
    body = (
        "topic=T&invited_participants%5B0%5D%5Bemail%5D=a%40b.c"
        "&invited_participants[0][role]=1&invited_participants[1][email]=x%40y.z"
        "&custom_data[custom1]=one"
    )
    assert decode(body) == {
        "topic": "T",
        "invited_participants": [{"email": "a@b.c", "role": "1"}, {"email": "x@y.z"}],
        "custom_data": {"custom1": "one"},
    }


def test_form_php_name_mangling_and_later_duplicates_win() -> None:
    assert decode("first.name=a&first name=b&x=1&x=2") == {"first_name": "b", "x": "2"}


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/octet-stream", f"{FORM}; charset=UTF-8"]
)
def test_missing_or_unknown_content_type_is_read_as_a_form(content_type: str | None) -> None:
    assert decode("a=1&b[]=2", content_type=content_type) == {"a": "1", "b": ["2"]}


@pytest.mark.parametrize("content_type", [FORM, "application/json", None, "multipart/x"])
def test_empty_body_means_no_parameters(content_type: str | None) -> None:
    assert decode("", content_type=content_type) == {}
    assert decode(" \r\n", content_type=content_type) == {}


def test_body_that_is_not_utf8_is_refused_naming_the_byte() -> None:
    assert bad_request(b"a=\xff") == "The request body is not valid UTF-8 (byte 0xff at position 2)"


def test_percent_escape_that_is_not_utf8_is_refused_naming_the_parameter() -> None:
    assert (
        bad_request("ok=1&topic=%E9t%E9") == "Parameter 'topic' is not valid UTF-8 after decoding"
    )


def test_form_nesting_beyond_php_limit_is_refused() -> None:
    assert "nested more than 64 levels" in bad_request("a" + "[x]" * 65 + "=1")


# --- 2. input_type=json&rest_data=... -------------------------------------------------------

SESSION = {
    "topic": "Tom & Jerry + a%20b = c",
    "duration": 60,
    "invited_participants": [{"email": "a+b@x.com", "role": 1, "send_email_invitation": False}],
}


def test_url_encoded_rest_data() -> None:
    body = "input_type=json&rest_data=%7B%22topic%22%3A%22a%2Bb%22%2C%22n%22%3A1%7D"
    assert decode(body) == {"topic": "a+b", "n": 1}


def test_raw_rest_data_as_the_php_snippets_send_it_keeps_ampersand_plus_and_percent() -> None:
    # 'input_type=json&rest_data=' . json_encode($parameters), not URL-encoded.
    body = "input_type=json&rest_data=" + json.dumps(SESSION)
    assert decode(body) == SESSION


def test_raw_rest_data_with_php_json_encode_escapes() -> None:
    body = r'input_type=json&rest_data={"topic":"Zo\u00eb \/ a&b","url":"http:\/\/x.y\/?a=1&b=2"}'
    assert decode(body) == {"topic": "Zoë / a&b", "url": "http://x.y/?a=1&b=2"}


def test_raw_rest_data_followed_by_more_form_fields() -> None:
    body = 'input_type=json&rest_data={"topic":"Tom & Jerry"}&format=json&extra[]=1'
    assert decode(body) == {"topic": "Tom & Jerry", "format": "json", "extra": ["1"]}


def test_raw_rest_data_after_other_form_fields() -> None:
    body = 'format=xml&input_type=json&rest_data={"topic":"a+b"}'
    assert decode(body) == {"format": "xml", "topic": "a+b"}


def test_raw_rest_data_is_taken_literally_when_it_parses() -> None:
    # The documented rule: JSON text that parses as sent is used as sent; `%20` is then
    # literal, exactly what json_encode() produced on the client.
    assert decode('input_type=json&rest_data={"a":"x%20y+z"}') == {"a": "x%20y+z"}


def test_rest_data_wins_over_other_form_fields() -> None:
    body = 'topic=from+form&duration=5&input_type=json&rest_data={"topic":"from json"}'
    assert decode(body) == {"topic": "from json", "duration": "5"}


def test_rest_data_array_whose_first_element_is_the_object() -> None:
    assert decode('input_type=json&rest_data=[{"a":1},{"b":2}]') == {"a": 1}


@pytest.mark.parametrize("rest_data", ["[]", "{}", "%5B%5D", " {} "])
def test_empty_rest_data_means_no_parameters(rest_data: str) -> None:
    # `json_encode(array())` is `[]`: the documentation's authverify snippet sends exactly that.
    assert decode(f"input_type=json&rest_data={rest_data}") == {}


def test_input_type_is_case_insensitive() -> None:
    assert decode('input_type=JSON&rest_data={"a":1}') == {"a": 1}


def test_rest_data_without_input_type_is_still_json() -> None:
    assert decode('rest_data={"a":[1,2]}') == {"a": [1, 2]}


def test_other_input_type_is_refused_naming_it() -> None:
    message = bad_request("input_type=xml&rest_data=<a/>")
    assert message.startswith("input_type 'xml' is not supported; send input_type=json")


def test_input_type_json_without_rest_data_is_refused() -> None:
    assert "needs a rest_data parameter" in bad_request("input_type=json&topic=x")


def test_rest_data_given_as_bracketed_fields_is_refused() -> None:
    assert bad_request("input_type=json&rest_data[a]=1") == (
        "rest_data must be JSON text, not bracketed form fields"
    )


def test_invalid_rest_data_names_the_json_problem() -> None:
    message = bad_request('input_type=json&rest_data={"a":1 "b":2}')
    assert message == "rest_data is not valid JSON: a ',' is missing at position 7"


def test_raw_json_followed_by_junk_falls_back_to_the_form_value_and_fails() -> None:
    message = bad_request('input_type=json&rest_data={"a":1}xyz')
    assert message == "rest_data is not valid JSON: more text follows the value at position 7"


@pytest.mark.parametrize("rest_data", ["5", '"text"', "[1]", "null", "[[{}]]"])
def test_rest_data_that_is_not_an_object_is_refused(rest_data: str) -> None:
    assert bad_request(f"input_type=json&rest_data={rest_data}") == (
        "rest_data must be a JSON object of parameters, or an array whose first element is one"
    )


@pytest.mark.parametrize(
    ("rest_data", "problem"),
    [
        ('{"a":NaN}', "NaN is not a number JSON allows"),
        ('{"a":-Infinity}', "-Infinity is not a number JSON allows"),
        ('{"a":1e400}', "1e400 is not a number JSON allows"),
        ('{"a":"\\ud800"}', "unpaired UTF-16 surrogate"),
        ('{"a":' + "[" * 80 + "]" * 80 + "}", "nested more than 64 levels"),
        ("[" * 3000 + "]" * 3000, "nesting is too big"),
    ],
)
def test_rest_data_beyond_json_is_refused(rest_data: str, problem: str) -> None:
    message = bad_request(f"input_type=json&rest_data={rest_data}")
    assert message.startswith("rest_data ")
    assert problem in message


# --- 3. raw JSON bodies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "text/json", "application/x+json"],
)
def test_json_body_keeps_json_types(content_type: str) -> None:
    assert decode(json.dumps(SESSION), content_type=content_type) == SESSION


def test_json_body_array_whose_first_element_is_the_object() -> None:
    assert decode('[{"a": 1}, {"b": 2}]', content_type="application/json") == {"a": 1}
    assert decode("[]", content_type="application/json") == {}


def test_json_looking_body_sent_as_a_form_is_read_as_json() -> None:
    # `curl -d '{...}'` without -H labels the body form-urlencoded.
    assert decode('\n {"topic": "a&b+c"}') == {"topic": "a&b+c"}


def test_json_body_with_byte_order_mark() -> None:
    body = "\ufeff" + json.dumps({"a": 1})
    assert decode(body, content_type="application/json") == {"a": 1}


def test_invalid_json_body_names_the_problem() -> None:
    message = bad_request('{"a": }', content_type="application/json")
    assert message == "The request body is not valid JSON: a value is missing at position 6"


def test_json_body_that_is_not_an_object_is_refused() -> None:
    message = bad_request("42", content_type="application/json")
    assert message.startswith("The JSON body must be a JSON object of parameters")


# --- 4. multipart/form-data -----------------------------------------------------------------

BOUNDARY = "----onstream-test-boundary"


def multipart(*parts: tuple[str, str | tuple[str, bytes]]) -> bytes:
    """A multipart body: (name, text) fields and (name, (filename, content)) files."""
    chunks: list[bytes] = []
    for name, value in parts:
        chunks.append(f"--{BOUNDARY}\r\n".encode())
        if isinstance(value, str):
            chunks.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
            chunks.append(value.encode() + b"\r\n")
        else:
            filename, content = value
            chunks.append(
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n".encode()
            )
            chunks.append(content + b"\r\n")
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def decode_multipart(body: bytes, *, chunk_size: int | None = None) -> dict[str, Value]:
    return decode(body, content_type=MULTIPART, chunk_size=chunk_size)


def read_upload(value: Value) -> tuple[str | None, bytes]:
    assert isinstance(value, UploadFile)
    return value.filename, asyncio.run(value.read())


def test_multipart_fields_with_php_brackets_and_files() -> None:
    body = multipart(
        ("topic", "Tom & Jerry + a%20b"),
        ("invited_participants[0][email]", "a+b@x.com"),
        ("first.name", "Zoë"),
        ("file", ("slides.pdf", b"%PDF-1.4\x00\xff binary")),
        ("files[]", ("a.txt", b"A")),
        ("files[]", ("b.txt", b"B")),
    )
    params = decode_multipart(body, chunk_size=7)
    try:
        assert params["topic"] == "Tom & Jerry + a%20b"
        assert params["invited_participants"] == [{"email": "a+b@x.com"}]
        assert params["first_name"] == "Zoë"
        assert read_upload(params["file"]) == ("slides.pdf", b"%PDF-1.4\x00\xff binary")
        files = params["files"]
        assert isinstance(files, list)
        assert [read_upload(f) for f in files] == [("a.txt", b"A"), ("b.txt", b"B")]
    finally:
        asyncio.run(close_uploads(params))


def test_multipart_with_input_type_and_rest_data() -> None:
    body = multipart(("input_type", "json"), ("rest_data", '{"topic": "a&b"}'), ("x", "1"))
    assert decode_multipart(body) == {"topic": "a&b", "x": "1"}


@pytest.fixture
def closed(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The filenames of the uploads closed during the test, in order."""
    names: list[str | None] = []
    original_close = UploadFile.close

    async def spy_close(self: UploadFile) -> None:
        names.append(self.filename)
        await original_close(self)

    monkeypatch.setattr(UploadFile, "close", spy_close)
    return names


def test_multipart_upload_replaced_by_a_later_field_is_closed(closed: list[str | None]) -> None:
    body = multipart(("file", ("old.txt", b"old")), ("file", ("new.txt", b"new")))
    params = decode_multipart(body)
    assert closed == ["old.txt"]
    assert read_upload(params["file"]) == ("new.txt", b"new")
    asyncio.run(close_uploads(params))
    assert closed == ["old.txt", "new.txt"]


def test_multipart_without_boundary_is_refused() -> None:
    with pytest.raises(
        BadRequest, match="multipart/form-data body cannot be read: Missing boundary"
    ):
        decode(multipart(("a", "1")), content_type="multipart/form-data")


def test_garbled_multipart_is_refused() -> None:
    with pytest.raises(BadRequest, match="multipart/form-data body cannot be read"):
        decode(b"--other\r\nnonsense", content_type=MULTIPART)


def test_multipart_bad_rest_data_is_refused_and_its_uploads_closed(
    closed: list[str | None],
) -> None:
    body = multipart(("file", ("a.txt", b"A")), ("rest_data", "{nope"))
    with pytest.raises(BadRequest, match="rest_data is not valid JSON"):
        decode_multipart(body)
    assert closed == ["a.txt"]


# --- size limit -----------------------------------------------------------------------------


def test_body_of_exactly_max_body_bytes_is_read() -> None:
    body = "a=" + "x" * 98
    assert decode(body, max_body=100) == {"a": "x" * 98}


def test_declared_content_length_beyond_the_limit_is_413_before_reading() -> None:
    async def never() -> Message:
        raise AssertionError("the body must not be read")

    request = make_request(b"a=" + b"x" * 99, receive=never)
    with pytest.raises(PayloadTooLarge, match="larger than the limit of 100 bytes"):
        asyncio.run(read_body_params(request, max_body=100))


@pytest.mark.parametrize("content_type", [FORM, "application/json", MULTIPART])
def test_streamed_body_beyond_the_limit_is_413(content_type: str) -> None:
    body = multipart(("file", ("big.bin", b"x" * 500))) if content_type == MULTIPART else b"x" * 500
    with pytest.raises(PayloadTooLarge):
        decode(body, content_type=content_type, max_body=100, chunk_size=10, content_length=False)


# --- the documentation's PHP cURL snippets, for real ----------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Recorder:
    base_url: str
    requests: list[Recorded] = field(default_factory=list)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A local HTTP server that records every request it gets and answers 200."""
    recorded: list[Recorded] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _record(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            recorded.append(
                Recorded(
                    self.command, self.path, list(self.headers.items()), self.rfile.read(length)
                )
            )
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_PUT = do_POST = do_DELETE = _record  # http.server's naming

        def log_message(self, format: str, *args: object) -> None:
            """Keep test output clean."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Recorder(f"http://127.0.0.1:{server.server_address[1]}", recorded)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


_PHP_CLIENT = r"""
function send($url, $method, $postArgs) {
    $curl = curl_init();
    curl_setopt($curl, CURLOPT_URL, $url);
    curl_setopt($curl, CURLOPT_CUSTOMREQUEST, $method);
    curl_setopt($curl, CURLOPT_POSTFIELDS, $postArgs);
    curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($curl, CURLOPT_FOLLOWLOCATION, true);
    curl_setopt($curl, CURLOPT_USERPWD, 'alice:secret');
    $result = curl_exec($curl);
    if ($result !== 'ok') {
        fwrite(STDERR, 'cURL failed: ' . curl_error($curl));
        exit(1);
    }
    curl_close($curl);
}
$parameters = array(
    'topic' => 'Tom & Jerry + a%20b',
    'invited_participants' => array(array('email' => 'a+b@x.com')),
);
// encode as JSON, exactly as the documentation does (no URL-encoding)
$json = json_encode($parameters);
send($baseurl . '/session', 'PUT', 'input_type=json&rest_data=' . $json);
$nested = array(
    'topic' => 'Tom & Jerry + a%20b',
    'duration' => 60,
    'invited_participants' => array(
        array(
            'email' => 'a+b@x.com', 'first_name' => 'Zoë', 'role' => 1,
            'send_email_invitation' => false,
        ),
        array('email' => 'c@d.e', 'role' => 2),
    ),
    'custom_data' => array('custom1' => 'x=y&z', 'custom2' => '100%'),
);
send($baseurl . '/session', 'PUT', http_build_query($nested));
$delete = array('id' => 7, 'ids' => array(1, 2));
send($baseurl . '/session/id/7', 'DELETE', http_build_query($delete));
"""


def replay(recorded: Recorded) -> dict[str, Value]:
    """Decode a recorded request with read_body_params, headers exactly as PHP sent them."""
    content_type = next((v for k, v in recorded.headers if k.lower() == "content-type"), None)
    others = [(k, v) for k, v in recorded.headers if k.lower() != "content-type"]
    request = make_request(
        recorded.body,
        content_type=content_type,
        method=recorded.method,
        content_length=False,
        headers=others,
    )
    return asyncio.run(read_body_params(request, max_body=LIMIT))


def test_php_curl_snippets_decode_to_exact_values(recorder: Recorder) -> None:
    run_php(f"$baseurl = '{recorder.base_url}';" + _PHP_CLIENT)
    put_json, put_form, delete_form = recorder.requests
    assert [r.method for r in recorder.requests] == ["PUT", "PUT", "DELETE"]

    # PHP's cURL labels a string body form-urlencoded, and the JSON arrives unencoded.
    assert dict(put_json.headers)["Content-Type"] == FORM
    assert b"Tom & Jerry + a%20b" in put_json.body
    assert replay(put_json) == {
        "topic": "Tom & Jerry + a%20b",
        "invited_participants": [{"email": "a+b@x.com"}],
    }
    assert replay(put_form) == {
        "topic": "Tom & Jerry + a%20b",
        "duration": "60",
        "invited_participants": [
            {"email": "a+b@x.com", "first_name": "Zoë", "role": "1", "send_email_invitation": "0"},
            {"email": "c@d.e", "role": "2"},
        ],
        "custom_data": {"custom1": "x=y&z", "custom2": "100%"},
    }
    assert delete_form.path == "/session/id/7"
    assert replay(delete_form) == {"id": "7", "ids": ["1", "2"]}

    params = Params(replay(put_form))
    [first, second] = params.nested("invited_participants")
    assert first.boolean("send_email_invitation") is False
    assert second.integer("role", min=1, max=3) == 2
    assert params.integer("duration", min=1) == 60


# --- merge_params ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD", "get"])
def test_get_segments_win_over_query_and_body_is_ignored(method: str) -> None:
    merged = merge_params(
        segments={"id": "1", "format": "json"},
        query={"id": "2", "count": "5"},
        body={"id": "3", "topic": "x"},
        method=method,
    )
    assert merged == {"id": "1", "count": "5", "format": "json"}


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "delete"])
def test_write_methods_body_wins_over_segments_and_query_is_ignored(method: str) -> None:
    merged = merge_params(
        segments={"id": "7", "role": "moderators"},
        query={"id": "2", "count": "5"},
        body={"id": 8, "topic": "x"},
        method=method,
    )
    assert merged == {"id": 8, "role": "moderators", "topic": "x"}


def test_write_method_without_body_uses_segments() -> None:
    merged = merge_params(segments={"id": "7"}, query={"x": "1"}, body=None, method="DELETE")
    assert merged == {"id": "7"}


# --- Params ---------------------------------------------------------------------------------


def message_of(call: object, *args: object, **kwargs: object) -> str:
    """The BadRequest message of `call(*args, **kwargs)`."""
    assert callable(call)
    with pytest.raises(BadRequest) as caught:
        call(*args, **kwargs)
    return caught.value.message


def test_text_strips_unless_told_not_to() -> None:
    params = Params({"topic": "  Hello  "})
    assert params.text("topic") == "Hello"
    assert params.text("topic", strip=False) == "  Hello  "


def test_text_missing_or_null_gives_the_default() -> None:
    params = Params({"gone": None})
    assert params.text("gone") is None
    assert params.text("missing", default="x") == "x"
    assert params.text("gone", default="x") == "x"


def test_text_empty_is_returned_unless_required() -> None:
    params = Params({"password": ""})
    assert params.text("password") == ""
    assert message_of(params.text, "password", required=True) == (
        "Parameter 'password' must not be empty"
    )


def test_text_required_and_missing() -> None:
    assert message_of(Params({}).text, "topic", required=True) == "Parameter 'topic' is required"


def test_text_accepts_json_numbers_as_their_text() -> None:
    params = Params({"password": 1234, "ratio": 1.5})
    assert params.text("password") == "1234"
    assert params.text("ratio") == "1.5"


@pytest.mark.parametrize(
    ("value", "kind"),
    [(True, "true/false"), (["a"], "a list"), ({"a": "b"}, "an object")],
)
def test_text_refuses_structures_and_booleans(value: Value, kind: str) -> None:
    assert message_of(Params({"topic": value}).text, "topic") == (
        f"Parameter 'topic' must be text, not {kind}"
    )


def test_text_refuses_nul() -> None:
    assert "NUL" in message_of(Params({"topic": "a\0b"}).text, "topic")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_length": 3}, "Parameter 'topic' must be at most 3 characters long"),
        ({"min_length": 9}, "Parameter 'topic' must be at least 9 characters long"),
        (
            {"min_length": 1, "max_length": 3},
            "Parameter 'topic' must be between 1 and 3 characters long",
        ),
    ],
)
def test_text_length_limits(kwargs: dict[str, int], message: str) -> None:
    params = Params({"topic": "Zoë's"})
    assert message_of(params.text, "topic", **kwargs) == message
    assert Params({"topic": "Zoë"}).text("topic", max_length=3) == "Zoë"  # characters, not bytes


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, 12), (-3, -3), ("12", 12), ("-3", -3), (" 7 ", 7), ("+7", 7), ("007", 7), (12.0, 12)],
)
def test_integer_accepts_json_integers_and_decimal_strings(value: Value, expected: int) -> None:
    assert Params({"offset": value}).integer("offset") == expected


@pytest.mark.parametrize(
    "value", ["abcd", "1.5", "", " ", "1e3", "0x10", "1_000", "١٢", True, False, 1.5, [1], {"a": 1}]
)
def test_integer_refuses_anything_else(value: Value) -> None:
    assert message_of(Params({"offset": value}).integer, "offset") == (
        "Parameter 'offset' must be a whole number"
    )


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        (0, {"min": 1, "max": 1000}, "Parameter 'count' must be a whole number between 1 and 1000"),
        (
            "1001",
            {"min": 1, "max": 1000},
            "Parameter 'count' must be a whole number between 1 and 1000",
        ),
        (
            "x",
            {"min": 1, "max": 1000},
            "Parameter 'count' must be a whole number between 1 and 1000",
        ),
        (-1, {"min": 0}, "Parameter 'count' must be a whole number of at least 0"),
        (11, {"max": 10}, "Parameter 'count' must be a whole number of at most 10"),
        (
            "9223372036854775808",
            {},
            "Parameter 'count' must be a whole number between -9223372036854775808 "
            "and 9223372036854775807",
        ),
    ],
)
def test_integer_range_messages(value: Value, kwargs: dict[str, int], message: str) -> None:
    assert message_of(Params({"count": value}).integer, "count", **kwargs) == message


def test_integer_required_and_default() -> None:
    params = Params({"count": None})
    assert params.integer("count", default=100) == 100
    assert message_of(params.integer, "id", required=True) == "Parameter 'id' is required"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("1", True),
        ("0", False),
        ("true", True),
        ("FALSE", False),
        (" True ", True),
        ("yes", True),
        ("No", False),
        ("on", True),
        ("off", False),
    ],
)
def test_boolean_accepts(value: Value, expected: bool) -> None:
    assert Params({"dst": value}).boolean("dst") is expected


@pytest.mark.parametrize("value", ["", "2", "maybe", "t", 2, -1, 0.5, ["1"]])
def test_boolean_refuses(value: Value) -> None:
    assert message_of(Params({"dst": value}).boolean, "dst") == (
        "Parameter 'dst' must be 1 or 0, true or false"
    )


def test_boolean_default() -> None:
    assert Params({}).boolean("dst") is None
    assert Params({}).boolean("dst", default=True) is True


def test_choice_matches_ignoring_case_and_returns_the_option() -> None:
    assert Params({"order": " DESC "}).choice("order", ("asc", "desc")) == "desc"
    assert Params({"role": 2}).choice("role", ("1", "2", "3")) == "2"
    assert Params({}).choice("order", ("asc", "desc"), default="asc") == "asc"


@pytest.mark.parametrize("value", ["up", "", True, ["asc"]])
def test_choice_refuses_other_values(value: Value) -> None:
    assert message_of(Params({"order": value}).choice, "order", ("asc", "desc")) == (
        "Parameter 'order' must be one of: asc, desc"
    )


def test_raw_has_and_mapping() -> None:
    values: dict[str, Value] = {"custom_data": [{"custom1": "x"}], "gone": None}
    params = Params(values)
    assert params.raw("custom_data") == [{"custom1": "x"}]
    assert params.raw("missing") is None
    assert params.has("gone")
    assert not params.has("missing")
    assert params.mapping == values
    mapping = params.mapping
    assert isinstance(mapping, Mapping)
    with pytest.raises(TypeError):
        mapping["x"] = "y"  # type: ignore[index]


def test_unknown_parameters_are_ignored() -> None:
    params = Params({"topic": "x", "duratoin": "misspelled"})
    assert params.text("topic") == "x"
    assert params.integer("duration") is None


@pytest.mark.parametrize(
    "value",
    [
        [{"email": "a"}, {"email": "b"}],
        {"1": {"email": "a"}, "2": {"email": "b"}},  # a PHP form numbered from 1
        '[{"email": "a"}, {"email": "b"}]',  # JSON text in a form field
    ],
)
def test_nested_entries(value: Value) -> None:
    entries = Params({"invited_participants": value}).nested("invited_participants")
    assert [entry.text("email") for entry in entries] == ["a", "b"]


def test_nested_single_object_and_nothing() -> None:
    params = Params({"one": {"email": "a", "role": "1"}, "blank": " ", "null": None})
    assert [entry.text("email") for entry in params.nested("one")] == ["a"]
    assert params.nested("blank") == []
    assert params.nested("null") == []
    assert params.nested("missing") == []


def test_nested_errors_name_the_full_path() -> None:
    entries = Params({"invited_participants": [{"role": "x"}]}).nested("invited_participants")
    assert message_of(entries[0].integer, "role") == (
        "Parameter 'invited_participants[0][role]' must be a whole number"
    )


@pytest.mark.parametrize("value", ["x", "[1, 2]", [1], [{"email": "a"}, "b"], 5])
def test_nested_refuses_what_is_not_a_list_of_objects(value: Value) -> None:
    message = message_of(Params({"invited_participants": value}).nested, "invited_participants")
    assert message.startswith("Parameter 'invited_participants' ")


def test_unread_names_what_no_accessor_asked_for() -> None:
    params = Params({"topic": "x", "timezon": "UP1", "format": "json", "id": "3"})
    params.text("topic")
    params.integer("missing")
    params.has("id")
    assert params.unread(known=frozenset({"format"})) == ["timezon"]
    assert params.asked == {"topic", "missing", "id"}
