"""`/docs/guide`: a quick start, then every call with its parameters and the same request in
PHP (in the style of the published documentation's snippets: cURL, `input_type=json`),
curl and the Python client. Made from the route table and the handlers' descriptions, with
each parameter's example value, so a call added or changed shows here without an edit."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from html import escape

from onstream.protocol.describe import Operation, Param, operation_of
from onstream.protocol.resources import Resource

LOGIN, PASSWORD = "demo", "PASSWORD"

QUICK_START = """\
<h2 id="quick-start">Quick start</h2>
<p>Every call is <code>/api/2/{{username}}/{{resource}}</code> with HTTP Basic credentials of
<code>{{username}}</code>. Parameters go in the query string or as
<code>/key/value</code> URL segments for GET, in the body for PUT, POST and DELETE (form
fields, <code>input_type=json&amp;rest_data=&lt;JSON&gt;</code>, or raw JSON). Answers are
XML unless you ask for another format: <code>/format/json</code>, <code>.json</code>,
<code>?format=json</code> or an <code>Accept</code> header.</p>
<p class="lang">Check your credentials with curl</p>
<pre><code>curl -u {login}:{password} {base}/api/2/{login}/authverify/format/json
{{"authenticated":true,"message":"You are authorized to use the API"}}</code></pre>
<p class="lang">Python: the client, <code>onstream.client</code>, comes with the package</p>
<pre><code>from onstream.client import Client

with Client("{base}", "{login}", "{password}") as api:
    created = api.create_session(
        topic="Product demo", start_time="2030-09-10 16:00:00", duration=45, timezone="UTC"
    )
    print(api.session(created.id).session_link)
    for session in api.sessions():      # every page, 100 at a time
        print(session.id, session.topic)</code></pre>
<p class="lang">Or from the command line</p>
<pre><code>export ONSTREAM_URL={base} ONSTREAM_LOGIN={login} ONSTREAM_PASSWORD={password}
onstream api sessions list
onstream api session create --topic "Product demo" --start-time "2030-09-10 16:00" --duration 45
onstream api sessions list --format json</code></pre>
<p>Mistakes are told: a parameter nothing reads is named in the
<code>Onstream-Warning</code> response header (add <code>/strict/1</code> or the header
<code>Onstream-Strict: 1</code> to make it a 400). Lists answer <code>X-Total-Count</code>
and a <code>Link</code> to the next page. Errors are one document,
<code>{{"status": false, "error": "..."}}</code>.</p>
"""


def guide_html(resources: Mapping[str, Resource], *, base_url: str) -> str:
    """The whole page."""
    calls = [
        (resource.name, method, operation)
        for resource in resources.values()
        for method in resource.allowed
        if (operation := operation_of(resource.methods[method])) is not None
    ]
    links = " ".join(
        f'<a href="#{method.lower()}-{name}">{method}&nbsp;{name}</a>' for name, method, _ in calls
    )
    sections = "".join(_section(name, method, op, base_url) for name, method, op in calls)
    quick = QUICK_START.format(base=escape(base_url), login=LOGIN, password=PASSWORD)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Onstream API guide</title>"
        '<link rel="stylesheet" href="/docs/static/guide.css"><link rel="icon" href="data:,">'
        "</head><body><h1>Onstream API guide</h1>"
        '<nav><a href="/docs">Reference (Swagger UI)</a>'
        '<a href="/api/2/openapi.json">openapi.json</a>'
        '<a href="/account">Your account</a></nav>'
        f"{quick}<h2>Calls</h2><p>{links}</p>{sections}</body></html>"
    )


def _section(name: str, method: str, operation: Operation, base_url: str) -> str:
    values = examples(operation)
    rows = "".join(
        f"<tr><td><code>{escape(p.name)}</code></td><td>{p.kind}</td>"
        f"<td>{'yes' if p.required else ''}</td><td>{escape(p.description)}</td></tr>"
        for p in operation.params
    )
    table = (
        f"<table><tr><th>parameter</th><th>type</th><th>required</th><th></th></tr>{rows}</table>"
        if rows
        else "<p>No parameters.</p>"
    )
    snippets = (
        ("PHP", php_snippet(name, method, values, base_url=base_url)),
        ("curl", curl_snippet(name, method, values, base_url=base_url)),
        ("Python", python_snippet(name, method, values, base_url=base_url)),
    )
    code = "".join(
        f'<p class="lang">{lang}</p><pre><code>{escape(text)}</code></pre>'
        for lang, text in snippets
    )
    return (
        f'<h3 id="{method.lower()}-{name}">{method} {name}</h3>'
        f"<p>{escape(operation.summary)}.</p>{table}{code}"
    )


def examples(operation: Operation) -> dict[str, object]:
    """The example of every required parameter and of the optional ones that have one."""
    return {p.name: _example(p) for p in operation.params if p.required or p.example is not None}


def _example(param: Param) -> object:
    if param.example is not None:
        return param.example
    return 1 if param.kind == "integer" else "..."


def _segments(values: Mapping[str, object]) -> str:
    return "".join(f"/{key}/{value}" for key, value in values.items())


def php_snippet(
    name: str,
    method: str,
    values: Mapping[str, object],
    *,
    base_url: str,
    login: str = LOGIN,
    password: str = PASSWORD,
) -> str:
    """The call as the published documentation's PHP snippets make it (cURL, `/api/1/`,
    `input_type=json&rest_data=`)."""
    lines = [
        "<?php",
        f"// {method} {name}",
        f"$username = {_php_value(login)};",
        f"$password = {_php_value(password)};",
        f"$baseurl = {_php_value(base_url + '/api/1/')};",
    ]
    if method == "GET":
        path = _php_value(f"/{name}{_segments(values)}")
        lines.append("$curl = curl_init();")
        lines.append(f"curl_setopt($curl, CURLOPT_URL, $baseurl.$username.{path});")
    else:
        verb = (
            "curl_setopt($curl, CURLOPT_POST, true);"
            if method == "POST"
            else f"curl_setopt($curl, CURLOPT_CUSTOMREQUEST, '{method}');"
        )
        lines += [
            f"$parameters = {_php_array_lines(values)};",
            "// encode as JSON",
            "$json = json_encode($parameters);",
            "$postArgs = 'input_type=json&rest_data=' . $json;",
            "$curl = curl_init();",
            f"curl_setopt($curl, CURLOPT_URL, $baseurl.$username.'/{name}');",
            verb,
            "curl_setopt($curl, CURLOPT_POSTFIELDS, $postArgs);",
        ]
    lines += [
        "curl_setopt($curl, CURLOPT_RETURNTRANSFER, true);",
        "curl_setopt($curl, CURLOPT_FOLLOWLOCATION, true);",
        "curl_setopt($curl, CURLOPT_USERPWD, $username.':'.$password);",
        "$result = curl_exec($curl);",
        "curl_close($curl);",
        "echo $result;",
        "?>",
    ]
    return "\n".join(lines)


def _php_array_lines(values: Mapping[str, object]) -> str:
    """The parameters as a PHP array, one per line when there are several."""
    if len(values) < 3:
        return _php_value(dict(values))
    items = "".join(f"\n    {_php_value(k)} => {_php_value(v)}," for k, v in values.items())
    return f"array({items}\n)"


def _php_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        items = ", ".join(f"{_php_value(k)} => {_php_value(v)}" for k, v in value.items())
        return f"array({items})"
    if isinstance(value, list):
        return f"array({', '.join(_php_value(v) for v in value)})"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def curl_snippet(
    name: str,
    method: str,
    values: Mapping[str, object],
    *,
    base_url: str,
    login: str = LOGIN,
    password: str = PASSWORD,
) -> str:
    """The call with curl, answered in JSON."""
    user = shlex.quote(f"{login}:{password}")
    root = f"{base_url}/api/2/{login}/{name}"
    if method == "GET":
        return f"curl -u {user} {shlex.quote(root + _segments(values) + '/format/json')}"
    rest_data = json.dumps(dict(values), ensure_ascii=False)
    return (
        f"curl -u {user} -X {method} {root}/format/json \\\n"
        "  --data-urlencode input_type=json \\\n"
        f"  --data-urlencode {shlex.quote('rest_data=' + rest_data)}"
    )


def python_snippet(
    name: str,
    method: str,
    values: Mapping[str, object],
    *,
    base_url: str,
    login: str = LOGIN,
    password: str = PASSWORD,
) -> str:
    """The call with `onstream.client` (its `call` takes any call; the guide's quick start
    shows the typed methods)."""
    arguments = f", {dict(values)!r}" if values else ""
    return (
        "from onstream.client import Client\n\n"
        f"with Client({base_url!r}, {login!r}, {password!r}) as api:\n"
        f'    document = api.call("{method}", "{name}"{arguments})\n'
        "    print(document)"
    )
