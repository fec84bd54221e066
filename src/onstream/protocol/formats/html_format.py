"""The `html` format: the document as tables for a person looking at it in a browser.

A minimal complete page holds one `<table>` per list (and one for the scalar entries of a
document such as `{"id": 1, "message": ...}`), with a header row of column names and one row
per item, flattened as `tabular` describes. When a page holds more than one table, each
list's table is preceded by an `<h2>` naming the list (`moderators`, `participants`, ...).

An empty list still gets its table, with an empty header row (`<tr></tr>`) and no data rows:
the table stays "header row, then one row per item" with zero items, so a script reading it
finds no items rather than a fake "no items" row.

Every key and value goes through `html.escape(quote=True)`; nothing from the data is ever
markup. A value in which text direction matters (a right-to-left letter, a mark or a
direction control) is shown as the pages show it (`onstream.bidi`): without overrides, its
embeddings closed, in a `<bdi>`, so `Invoice` + RLO + `fdp.exe` cannot read "Invoiceexe.pdf"
in a browser. The JSON, XML and other formats answer the value exactly as stored.
"""

from __future__ import annotations

from html import escape

from onstream.bidi import balanced, needs_isolation
from onstream.protocol.document import Document
from onstream.protocol.formats._text import encode_utf8, scalar_text
from onstream.protocol.formats.tabular import tables

PAGE_START = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Onstream API</title></head><body>\n'
)
PAGE_END = "</body></html>\n"
TABLE_START = '<table border="0" cellpadding="4" cellspacing="0">\n'
TABLE_END = "</table>\n"


def render(doc: Document) -> bytes:
    """The document as an HTML page of tables."""
    out: list[str] = [PAGE_START]
    found = tables(doc.data)
    headings = len(found) > 1
    for table in found:
        if headings and table.name is not None:
            out.append(f"<h2>{escape(table.name)}</h2>\n")
        out.append(TABLE_START)
        out.append("<tr>")
        out.extend(f"<th>{escape(column)}</th>" for column in table.columns)
        out.append("</tr>\n")
        for row in table.rows:
            out.append("<tr>")
            out.extend(f"<td>{_cell(scalar_text(value))}</td>" for value in row)
            out.append("</tr>\n")
        out.append(TABLE_END)
    out.append(PAGE_END)
    return encode_utf8("".join(out))


def _cell(text: str) -> str:
    """A value escaped, and isolated where its direction could reorder what is shown."""
    if not needs_isolation(text):
        return escape(text)
    return f"<bdi>{escape(balanced(text))}</bdi>"
