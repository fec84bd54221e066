"""Hot reads: statements defined in SQLAlchemy Core, compiled once, run on the driver itself.

Every statement is still written with SQLAlchemy Core, next to the tables it reads. Running
one through SQLAlchemy's `Connection.execute` costs about 35 µs of CPU on top of SQLite's
5 µs (a compiled-cache lookup, parameter processing, a result object with its metadata, and
on PostgreSQL a greenlet switch), a quarter of a whole GET of one session. A `Prepared`
statement pays for that once per dialect instead: `compiled(dialect)` keeps the SQL text,
the order of its positional parameters and the result processors of its columns (SQLAlchemy's
own, so an SQLite DATETIME is parsed by its C `str_to_datetime` as before), and
`Connection.fetch` hands the text to the driver: a `sqlite3` cursor, or asyncpg's
`Connection.fetch`, which prepares the statement once per connection and keeps it. Rows
come back as tuples in the order of the select's columns, for positional mapping
(`Session(*row)`).

Only selects whose SQL does not depend on the parameters qualify: no expanding `IN` lists and
no literal-rendered values, which `compiled` refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Select

Row = Sequence[Any]
"""One row, its columns in the select's order."""


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement as one dialect's driver runs it."""

    sql: str
    parameters: tuple[str, ...]
    """The bound parameters' names, in the positional order of the SQL text."""
    fixed: Mapping[str, Any]
    """Values the statement binds itself (`func.coalesce(x, 0)` binds its 0)."""
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]
    """(column index, SQLAlchemy's result processor) for the columns the driver does not
    return as Python values already (on SQLite: DATETIME text, JSON text, BOOLEAN 0/1)."""

    def arguments(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The parameter values in positional order; a missing name is a KeyError."""
        if self.fixed:
            values = {**self.fixed, **values}
        return tuple([values[name] for name in self.parameters])

    def rows(self, raw: Iterable[Row]) -> list[Row]:
        """The driver's rows with their columns converted."""
        converters = self.converters
        if not converters:
            return list(raw)
        rows: list[Row] = []
        for row in raw:
            values = list(row)
            for index, convert in converters:
                values[index] = convert(values[index])
            rows.append(values)
        return rows


class Prepared:
    """A Core select compiled once per dialect; see the module docstring."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, Compiled] = {}

    def compiled(self, dialect: Dialect) -> Compiled:
        """The statement for this dialect, compiled on first use."""
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _compile(self.statement, dialect)
        return compiled

    def __repr__(self) -> str:
        return f"Prepared({self.statement})"


def _compile(statement: Select[Any], dialect: Dialect) -> Compiled:
    compiled = statement.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError(f"SQL depends on the parameters, cannot be prepared: {statement}")
    # SQLAlchemy has no public view of these; they are stable across 2.x.
    if compiled._bind_processors:
        raise ValueError(f"Parameters need conversion, pass them converted: {statement}")
    if not compiled.positional or compiled.positiontup is None:
        raise ValueError(f"{dialect.name} does not use positional parameters")
    converters = []
    for index, column in enumerate(compiled._result_columns):
        process = column.type._cached_result_processor(dialect, None)
        if process is not None:
            converters.append((index, process))
    fixed = {
        name: bind.effective_value
        for name, bind in ((compiled.bind_names[b], b) for b in compiled.binds.values())
        if not bind.required and bind.callable is None
    }
    return Compiled(
        sql=compiled.string,
        parameters=tuple(compiled.positiontup),
        fixed=fixed,
        converters=tuple(converters),
    )
