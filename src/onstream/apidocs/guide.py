"""`/docs/guide`: a quick start and an index, then one page per resource
(`/docs/guide/sessions`, ...) with every call, its parameters and the same request in PHP
(in the style of the published documentation's snippets: cURL, `input_type=json`), curl
and the Python client. Made from the route table and the handlers' descriptions, with
each parameter's example value, so a call added or changed shows here without an edit."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from onstream.apidocs.operations import OPERATIONS, TAGS
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


@dataclass(frozen=True, slots=True)
class GuidePage:
    """One page of the guide: the calls of one resource (an OpenAPI tag)."""

    slug: str
    """`/docs/guide/{slug}`."""
    title: str
    calls: list[tuple[str, str, Operation]]
    """(resource name, method, operation), in the route table's order."""

    @property
    def path(self) -> str:
        return f"/docs/guide/{self.slug}"


PAGE_SLUGS = {"account": "users"}
"""A tag's page under another name (the account's calls are those of `user`)."""
PAGE_TITLES = {
    "account": "Users: the credentials, the account and its people, the calendar feed",
}
OTHER = "other"


def anchor(name: str, method: str) -> str:
    """A call's anchor, the same on its page and on the index (`#get-session`)."""
    return f"{method.lower()}-{name}"


def guide_pages(resources: Mapping[str, Resource]) -> list[GuidePage]:
    """One page per resource (the OpenAPI description's tags, in their order), each with
    its calls; a call without a tag goes to a last page of other calls."""
    calls: dict[str, list[tuple[str, str, Operation]]] = {}
    for resource in resources.values():
        for method in resource.allowed:
            operation = operation_of(resource.methods[method])
            if operation is None:
                continue
            named = OPERATIONS.get((method, resource.name))
            tag = named[1] if named is not None else OTHER
            calls.setdefault(tag, []).append((resource.name, method, operation))
    titles = {**TAGS, **PAGE_TITLES, OTHER: "Other calls"}
    return [
        GuidePage(PAGE_SLUGS.get(tag, tag), titles[tag], calls[tag])
        for tag in [*TAGS, OTHER]
        if tag in calls
    ]


def _document(title: str, body: str, *, script: bool = False) -> str:
    tail = '<script src="/docs/static/guide.js"></script>' if script else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        '<link rel="stylesheet" href="/docs/static/guide.css"><link rel="icon" href="data:,">'
        "</head><body>"
        '<nav><a href="/docs/guide">Guide</a><a href="/docs">Reference (Swagger UI)</a>'
        '<a href="/api/2/openapi.json">openapi.json</a>'
        '<a href="/account">Your account</a></nav>'
        f"{body}{tail}</body></html>"
    )


def guide_html(resources: Mapping[str, Resource], *, base_url: str) -> str:
    """The guide's index, `/docs/guide`: the quick start, then each resource's page with its
    calls. Each call's item keeps the anchor the one-page guide had (`#get-session`) and
    links to the call on its page; a small script follows such an old link there."""
    parts = []
    for page in guide_pages(resources):
        items = "".join(
            f'<li id="{anchor(name, method)}"><a href="{page.path}#{anchor(name, method)}">'
            f"{method}&nbsp;{name}</a></li>"
            for name, method, _ in page.calls
        )
        parts.append(
            f'<section aria-labelledby="page-{page.slug}">'
            f'<h3 id="page-{page.slug}"><a href="{page.path}">{escape(page.title)}</a></h3>'
            f'<ul class="calls">{items}</ul></section>'
        )
    quick = QUICK_START.format(base=escape(base_url), login=LOGIN, password=PASSWORD)
    body = (
        "<h1>Onstream API guide</h1>"
        f'{quick}<h2 id="calls">Calls, one page per resource</h2>'
        "<p>Each page shows every call of one resource with its parameters and the same "
        "request in PHP, curl and Python.</p>"
        f"{''.join(parts)}"
    )
    return _document("Onstream API guide", body, script=True)


def guide_page_html(page: GuidePage, *, base_url: str, pages: list[GuidePage]) -> str:
    """One resource's page: its contents, then each call with its parameters and the same
    request in PHP, curl and Python, and at the end the guide's other pages."""
    contents = "".join(
        f'<li><a href="#{anchor(name, method)}">{method}&nbsp;{name}</a>'
        f" · {escape(operation.summary)}</li>"
        for name, method, operation in page.calls
    )
    sections = "".join(_section(name, method, op, base_url) for name, method, op in page.calls)
    body = (
        f"<h1>{escape(page.title)}</h1>"
        '<nav aria-label="Contents" class="contents"><h2 id="contents">Contents</h2>'
        f"<ol>{contents}</ol></nav>{sections}"
        '<nav aria-label="The guide\'s pages"><h2>More of the guide</h2><ul>'
        + "".join(
            f'<li><a href="{other.path}">{escape(other.title)}</a></li>'
            for other in pages
            if other.slug != page.slug
        )
        + "</ul></nav>"
    )
    return _document(f"{page.title} · Onstream API guide", body)


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
        f'<section aria-labelledby="{anchor(name, method)}">'
        f'<h2 id="{anchor(name, method)}">{method} {name}</h2>'
        f"<p>{escape(operation.summary)}.</p>{table}{code}"
        '<p class="top"><a href="#contents">Contents</a></p></section>'
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
