"""The html renderer: exact page structure and escaping."""

from __future__ import annotations

from onstream.protocol.document import Document
from onstream.protocol.formats.html_format import render

START = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Onstream API</title></head><body>\n'
)
END = "</body></html>\n"
TABLE = '<table border="0" cellpadding="4" cellspacing="0">\n'


def test_scalar_document_is_one_table_with_one_row() -> None:
    doc = Document({"authenticated": True, "message": "You are authorized to use the API"})
    assert render(doc).decode() == (
        START + TABLE + "<tr><th>authenticated</th><th>message</th></tr>\n"
        "<tr><td>1</td><td>You are authorized to use the API</td></tr>\n"
        "</table>\n" + END
    )


def test_single_list_has_no_heading_and_flattens_custom_data() -> None:
    doc = Document(
        {
            "sessions": [
                {"id": 1, "password": None, "custom_data": [{"custom1": "a", "custom2": "b"}]},
                {"id": 2, "topic": "t"},
            ]
        }
    )
    assert render(doc).decode() == (
        START + TABLE + "<tr><th>id</th><th>password</th><th>custom1</th><th>custom2</th>"
        "<th>topic</th></tr>\n"
        "<tr><td>1</td><td></td><td>a</td><td>b</td><td></td></tr>\n"
        "<tr><td>2</td><td></td><td></td><td></td><td>t</td></tr>\n"
        "</table>\n" + END
    )


def test_several_lists_get_headings_and_empty_lists_an_empty_header_row() -> None:
    doc = Document({"moderators": [{"id": 1}], "participants": [], "observers": [{"id": 3}]})
    assert render(doc).decode() == (
        START + "<h2>moderators</h2>\n" + TABLE + "<tr><th>id</th></tr>\n<tr><td>1</td></tr>\n"
        "</table>\n"
        "<h2>participants</h2>\n" + TABLE + "<tr></tr>\n</table>\n"
        "<h2>observers</h2>\n" + TABLE + "<tr><th>id</th></tr>\n<tr><td>3</td></tr>\n"
        "</table>\n" + END
    )


def test_every_key_and_value_is_escaped() -> None:
    doc = Document({"<b>&'\"": [{"<script>": "<script>alert('x')</script> & \"q\""}]})
    page = render(doc).decode()
    assert "<script" not in page
    assert "<th>&lt;script&gt;</th>" in page
    assert "<td>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot;</td>" in page


def test_empty_document_is_an_empty_page() -> None:
    assert render(Document({})).decode() == START + END


def test_direction_controls_in_a_value_are_isolated_and_cannot_reorder_it() -> None:
    doc = Document(
        {"files": [{"name": "Invoice\u202efdp.exe", "topic": "\u05e9\u05dc\u05d5\u05dd"}]}
    )
    page = render(doc).decode()
    assert "\u202e" not in page
    assert "<td><bdi>Invoicefdp.exe</bdi></td>" in page
    assert "<td><bdi>\u05e9\u05dc\u05d5\u05dd</bdi></td>" in page
