"""Hot statements: defined in SQLAlchemy Core, compiled once, run on the driver itself.

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

Writes take the same road on SQLite (an INSERT of a session, the block count's upsert):
their parameters pass through SQLAlchemy's bind processors (a datetime becomes SQLite's
text, a boolean 0/1), kept with the compiled text. An INSERT whose columns come from each
call's values is prepared per set of columns (`column_keys`). On PostgreSQL a write goes
through SQLAlchemy inside its transaction (`storage.database`), with the same statement.

Only statements whose SQL does not depend on the parameters' values qualify: no expanding
`IN` lists and no literal-rendered values, which `compiled` refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.base import Executable

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
    processors: tuple[tuple[int, Callable[[Any], Any]], ...] = ()
    """(parameter index, SQLAlchemy's bind processor) for the values the driver does not
    take as they are (on SQLite: a datetime, a boolean)."""
    defaults: tuple[tuple[str, Callable[[], Any]], ...] = ()
    """Columns an INSERT or UPDATE sets from a Python-side default (`Column(default=...)`)
    when the call does not give them, as SQLAlchemy's own execution does."""

    def arguments(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The parameter values in positional order; a missing name is a KeyError."""
        if self.fixed:
            values = {**self.fixed, **values}
        if self.defaults:
            missing = {name: make() for name, make in self.defaults if name not in values}
            if missing:
                values = {**values, **missing}
        if not self.processors:
            return tuple([values[name] for name in self.parameters])
        arguments = [values[name] for name in self.parameters]
        for index, process in self.processors:
            arguments[index] = process(arguments[index])
        return tuple(arguments)

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
    """A Core statement compiled once per dialect; see the module docstring."""

    __slots__ = ("_compiled", "column_keys", "statement")

    def __init__(self, statement: Executable, *, column_keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.column_keys = column_keys
        """For an INSERT or UPDATE given its values at each call: the columns they set."""
        self._compiled: dict[str, Compiled] = {}

    def compiled(self, dialect: Dialect) -> Compiled:
        """The statement for this dialect, compiled on first use."""
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _compile(
                self.statement, dialect, self.column_keys
            )
        return compiled

    def __repr__(self) -> str:
        return f"Prepared({self.statement})"


def _compile(statement: Any, dialect: Dialect, column_keys: Sequence[str] | None) -> Compiled:
    compiled: Any = statement.compile(
        dialect=dialect, column_keys=list(column_keys) if column_keys is not None else None
    )
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError(f"SQL depends on the parameters, cannot be prepared: {statement}")
    if not compiled.positional or compiled.positiontup is None:
        raise ValueError(f"{dialect.name} does not use positional parameters")
    # SQLAlchemy has no public view of these; they are stable across 2.x.
    bind_processors = compiled._bind_processors
    processors = tuple(
        (index, bind_processors[name])
        for index, name in enumerate(compiled.positiontup)
        if name in bind_processors
    )
    converters = []
    for index, column in enumerate(compiled._result_columns):
        process = column.type._cached_result_processor(dialect, None)
        if process is not None:
            converters.append((index, process))
    defaults = tuple(
        (column.key, _default_maker(column.default if insert else column.onupdate, statement))
        for insert, columns in ((True, compiled.insert_prefetch), (False, compiled.update_prefetch))
        for column in columns
    )
    fixed = {
        name: bind.effective_value
        for name, bind in ((compiled.bind_names[b], b) for b in compiled.binds.values())
        if not bind.required and bind.callable is None
    }
    for name, _ in defaults:
        fixed.pop(name, None)
    return Compiled(
        sql=compiled.string,
        parameters=tuple(compiled.positiontup),
        fixed=fixed,
        converters=tuple(converters),
        processors=processors,
        defaults=defaults,
    )


def _default_maker(default: Any, statement: Any) -> Callable[[], Any]:
    """A Python-side column default as a function of nothing: a constant, or a callable
    that needs no execution context (`default=lambda: ...`)."""
    if default.is_scalar:
        value = default.arg
        return lambda: value
    if default.is_callable:
        make = default.arg
        return lambda: make(None)
    raise ValueError(f"A column default needs SQLAlchemy's execution: {statement}")
