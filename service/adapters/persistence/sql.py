"""Statements written once with SQLAlchemy Core and run without its per-call cost.

SQLAlchemy builds portable, readable SQL; building, caching and executing a statement
through it on every call costs more CPU than the database spends answering a point
query. So each statement is built once per dialect and, on PostgreSQL, compiled once to
SQL text that asyncpg prepares and caches. SQLite, the embedded default, runs the same
statements through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

# Reads, and writes that return rows (INSERT/UPDATE/DELETE ... RETURNING).
Statement = (
    sa.Select[Any] | sa.CompoundSelect[Any] | sa.TextualSelect | sa.Insert | sa.Update | sa.Delete
)
POSTGRES = "postgresql"
SQLITE = "sqlite"

_ASYNCPG = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class CompiledSql:
    """SQL text with `$n` placeholders, the parameter names in order, and the values of
    the parameters the statement carries itself (literals)."""

    text: str
    parameters: tuple[str, ...]
    defaults: Mapping[str, Any]

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[n] if n in values else self.defaults[n] for n in self.parameters]


class Query:
    """A statement built by `build(dialect)` on first use for each dialect."""

    def __init__(self, build: Callable[[str], Statement]) -> None:
        self._build = build
        self._statements: dict[str, Statement] = {}
        self._postgres: CompiledSql | None = None

    def statement(self, dialect: str) -> Statement:
        found = self._statements.get(dialect)
        if found is None:
            found = self._statements[dialect] = self._build(dialect)
        return found

    def postgres(self) -> CompiledSql:
        if self._postgres is None:
            compiled = self.statement(POSTGRES).compile(dialect=_ASYNCPG)
            self._postgres = CompiledSql(
                text=compiled.string,
                parameters=tuple(compiled.positiontup or ()),
                defaults=dict(compiled.params),
            )
        return self._postgres


class QueryShapes:
    """Queries whose structure depends on the request (which filters are present), one
    compiled query per shape, built on first use."""

    def __init__(self, build: Callable[[str, Any], Statement]) -> None:
        self._build = build
        self._queries: dict[Any, Query] = {}

    def __getitem__(self, shape: Any) -> Query:
        query = self._queries.get(shape)
        if query is None:
            query = self._queries[shape] = Query(lambda dialect: self._build(dialect, shape))
        return query


def like(column: sa.ColumnElement[str], name: str, dialect: str) -> sa.ColumnElement[bool]:
    """`column` LIKE the pattern bound as `name`, whose `%`, `_` and `\\` are escaped by a
    backslash. PostgreSQL escapes by a backslash unless told otherwise; telling it so made
    every row compared call like_escape() on the parameter again (a tenth of a pattern's
    range read). SQLite has no escape character unless named."""
    escape = None if dialect == POSTGRES else "\\"
    return column.like(sa.bindparam(name), escape=escape)


def one_of(column: sa.ColumnElement[Any], name: str, dialect: str) -> sa.ColumnElement[bool]:
    """`column` equals one element of the list bound as `name`: an array parameter on
    PostgreSQL (one prepared statement for any length), an expanding IN on SQLite."""
    if dialect == POSTGRES:
        element = sa.String() if isinstance(column.type, sa.String) else column.type
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(element)))
    return column.in_(sa.bindparam(name, expanding=True))
