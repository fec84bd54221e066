"""The `csv` format: RFC 4180 text (CRLF line ends, fields quoted when needed).

A header row comes first, then one row per list item, flattened as `tabular` describes; a
document of scalars (`{"id": 1, "message": ...}`) is a header of its keys and one row.
A document with several lists (GET invitees: moderators, participants, observers) is still
one table, because a CSV file has room for only one: its first column `list` names the list
each row came from, and the other columns are the union of all lists' columns. Scalar entries
next to lists, if a document ever has them, form a row whose `list` cell is empty. An empty
list has no rows to show, and a document with no columns at all is an empty body.

Strings that begin with `=`, `+`, `-`, `@`, tab or CR would run as formulas when the file is
opened in a spreadsheet, so they are prefixed with a single quote `'` (the OWASP advice for
CSV injection). Numbers are never touched, so `-5` stays a number; header names are
neutralised like strings.
"""

from __future__ import annotations

import csv
import io

from onstream.protocol.document import Document
from onstream.protocol.formats._text import encode_utf8, scalar_text
from onstream.protocol.formats.tabular import Cell, Table, tables

LIST_COLUMN = "list"
"""First column of a document with several lists: the list a row came from."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render(doc: Document) -> bytes:
    """The document as one CSV table."""
    found = tables(doc.data)
    if len(found) == 1:
        columns, rows = _single(found[0])
    else:
        columns, rows = _combined(found)
    if not columns:
        return b""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(column) for column in columns])
    writer.writerows([_field(value) for value in row] for row in rows)
    return encode_utf8(buffer.getvalue())


def _single(table: Table) -> tuple[list[str], list[tuple[Cell, ...]]]:
    """Columns and rows of a document that is one table."""
    return list(table.columns), list(table.rows)


def _combined(found: list[Table]) -> tuple[list[str], list[tuple[Cell, ...]]]:
    """Several tables as one: a leading `list` column, then the union of their columns."""
    union: dict[str, int] = {}
    for table in found:
        for column in table.columns:
            union.setdefault(column, len(union))
    if not union and not any(table.rows for table in found):
        return [], []
    rows: list[tuple[Cell, ...]] = []
    for table in found:
        positions = [union[column] for column in table.columns]
        for row in table.rows:
            cells: list[Cell] = [None] * len(union)
            for position, value in zip(positions, row, strict=True):
                cells[position] = value
            rows.append((table.name or "", *cells))
    return [LIST_COLUMN, *union], rows


def _field(value: Cell) -> str:
    """The text of one cell, neutralised if it is a string."""
    if isinstance(value, str):
        return neutralise(value)
    return scalar_text(value)


def neutralise(text: str) -> str:
    """`text`, prefixed with `'` if a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
