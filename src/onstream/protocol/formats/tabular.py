"""Documents as tables: the flattening shared by the `html` and `csv` formats.

A document becomes a list of `Table`s:

- its scalar entries (`{"id": 1, "message": ...}`) form one table with one row;
- each list (`{"sessions": [...]}`) forms one table named after it, one row per item.

Rows are flattened so every cell is a scalar. A nested dict contributes its keys as
columns (`custom_data: {"custom1": "a"}` → column `custom1`); a nested list of dicts is
merged into one dict first (the API sends `custom_data` as `[{"custom1": ..., ...}]`). Scalars
in a nested list are joined with "; " into one cell named by the list's key (";" is the API's
own list separator, see `return`). An item that is not a dict goes in a column `value`.
A nested key that clashes with a column already in the row is named `parent.key` (then
`parent.key_2`, ...), so no value silently overwrites another. Columns are the union of the
rows' columns in first-seen order; a row without a column has None there.

Cells keep their type (bools become the ints 1/0) so a renderer can tell a string from a
number, which csv needs to neutralise formulas in strings only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

from onstream.protocol.document import Value
from onstream.protocol.formats._text import scalar_text

Cell: TypeAlias = str | int | float | None
"""A flattened value: booleans are already 1/0, None is an empty cell."""

VALUE_COLUMN = "value"
"""Column of list items that are not dicts."""

LIST_SEPARATOR = "; "
"""Joins scalars of a nested list into one cell."""


@dataclass(frozen=True, slots=True)
class Table:
    """One table: `name` is the list it came from, or None for the scalar entries."""

    name: str | None
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def tables(data: Mapping[str, Value]) -> list[Table]:
    """The document's tables: the scalar entries first (if any), then one per list."""
    result: list[Table] = []
    scalars = {k: v for k, v in data.items() if not isinstance(v, list | tuple)}
    if scalars:
        result.append(_table(None, [scalars]))
    for key, value in data.items():
        if isinstance(value, list | tuple):
            result.append(_table(str(key), value))
    return result


def _table(name: str | None, items: Iterable[Value]) -> Table:
    """A table of the flattened items, columns in first-seen order."""
    rows = [flatten(item) for item in items]
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return Table(
        name=name,
        columns=tuple(columns),
        rows=tuple(tuple(row.get(column) for column in columns) for row in rows),
    )


def flatten(item: Value) -> dict[str, Cell]:
    """One item as a row of column → scalar cell (see the module docs for the rules)."""
    row: dict[str, Cell] = {}
    _flatten_into(row, item if isinstance(item, Mapping) else {VALUE_COLUMN: item}, None)
    return row


def _flatten_into(row: dict[str, Cell], mapping: Mapping[str, Value], parent: str | None) -> None:
    for raw_key, value in mapping.items():
        key = str(raw_key)
        if isinstance(value, Mapping):
            _flatten_into(row, value, key)
        elif isinstance(value, list | tuple):
            merged: dict[str, Value] = {}
            scalars: list[Value] = []
            _merge(value, merged, scalars)
            _flatten_into(row, merged, key)
            if scalars:
                joined = LIST_SEPARATOR.join(scalar_text(s) for s in scalars)
                _put(row, key, parent, joined)
        else:
            _put(row, key, parent, cell(value))


def _merge(values: Iterable[Value], merged: dict[str, Value], scalars: list[Value]) -> None:
    """Merge the dicts of a (possibly nested) list, later keys winning; collect its scalars."""
    for value in values:
        if isinstance(value, Mapping):
            merged.update(value)
        elif isinstance(value, list | tuple):
            _merge(value, merged, scalars)
        else:
            scalars.append(value)


def _put(row: dict[str, Cell], key: str, parent: str | None, value: Cell) -> None:
    """Store a cell under `key`, or under a qualified name if `key` is taken in this row."""
    name = key
    if name in row and parent is not None:
        name = f"{parent}.{key}"
    base, n = name, 2
    while name in row:
        name = f"{base}_{n}"
        n += 1
    row[name] = value


def cell(value: Value) -> Cell:
    """A scalar as a cell: booleans 1/0, everything else unchanged."""
    if value is True:
        return 1
    if value is False:
        return 0
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)
