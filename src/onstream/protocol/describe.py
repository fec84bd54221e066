"""A declarative description of each handler's parameters and answer, kept beside it.

The OpenAPI description (`onstream.apidocs`) is built from these and from the route table,
and a test sends every described parameter to its handler and compares the names the handler
asked `Params` for with the description, so the two cannot drift apart.
This layer knows no resource: the domains describe their own handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from onstream.protocol.listing import COUNT_DEFAULT, COUNT_MAX

Kind = Literal["string", "integer", "boolean", "array", "object", "file"]
Schema = Mapping[str, Any]
"""A JSON Schema (2020-12, as OpenAPI 3.1 uses it)."""


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter a handler reads."""

    name: str
    kind: Kind = "string"
    description: str = ""
    required: bool = False
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    example: object = None
    """A value the handler accepts (the drift test sends it)."""

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of the value."""
        schema: dict[str, Any] = {"type": self.kind}
        if self.kind == "file":
            schema = {"type": "string", "format": "binary"}
        elif self.kind == "array":
            schema["items"] = {"type": "object", "additionalProperties": True}
        elif self.kind == "object":
            # Said outright: generators type a bare object as one that holds nothing.
            schema["additionalProperties"] = True
        if self.enum:
            schema["enum"] = list(self.enum)
        for key, value in (
            ("minimum", self.minimum),
            ("maximum", self.maximum),
            ("maxLength", self.max_length),
        ):
            if value is not None:
                schema[key] = value
        if self.description or self.kind == "boolean":
            schema["description"] = self._described()
        return schema

    def _described(self) -> str:
        """The text of the description; a yes/no is described as a boolean whose text says
        that 1 and 0 work too. Described as booleans and integers together, it made
        openapi-python-client skip every call that has one; as `anyOf` a boolean or 0/1, it
        made a class of the two integers for each parameter."""
        if self.kind != "boolean":
            return self.description
        return f"{self.description}{'; ' if self.description else ''}true or false (or 1, 0)"


@dataclass(frozen=True, slots=True)
class Operation:
    """What one handler reads and answers."""

    summary: str
    params: tuple[Param, ...] = ()
    document: Schema | None = None
    """The success document's JSON shape; None for the `{id, message}` of writes."""
    status: int = 200
    listed: bool = False
    """Answers a page of a list (`X-Total-Count`, `Link` headers)."""
    by_id: bool = False
    """Addressed as `.../{resource}/id/{id}` as well."""

    @property
    def names(self) -> frozenset[str]:
        """The names of the parameters."""
        return frozenset(p.name for p in self.params)


_OPERATIONS: dict[object, Operation] = {}

H = TypeVar("H")


def described(operation: Operation) -> Callable[[H], H]:
    """Decorator (or function, for a `Staged` handler) recording what a handler reads."""

    def register(handler: H) -> H:
        _OPERATIONS[handler] = operation
        return handler

    return register


def operation_of(handler: object) -> Operation | None:
    """The description of a handler, if it has one."""
    return _OPERATIONS.get(handler)


def list_of(name: str, item: Schema) -> Schema:
    """`{"name": [item, ...]}`."""
    return {
        "type": "object",
        "required": [name],
        "properties": {name: {"type": "array", "items": item}},
    }


ID = Param("id", "integer", "The record's id", required=True, minimum=1, example=1)
PAGING = (
    Param("count", "integer", "Page size", minimum=1, maximum=COUNT_MAX, example=COUNT_DEFAULT),
    Param("offset", "integer", "Items to skip", minimum=0, example=0),
    Param("order", "string", "By id", enum=("asc", "desc"), example="asc"),
)


def returning(fields: tuple[str, ...]) -> Param:
    """The `return` parameter: the fields to answer with, `;`-separated."""
    return Param(
        "return",
        "string",
        f"Fields to answer with, separated by ';': {', '.join(fields)}",
        example=";".join(fields[:2]),
    )
