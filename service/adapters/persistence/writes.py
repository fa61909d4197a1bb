"""Applying staged row changes atomically, the fastest way each database allows.

Repositories turn aggregates into row operations; the unit of work hands them here at
commit. PostgreSQL gets a batch of inserts as one statement (data-modifying CTEs over
`unnest` arrays: one round trip, atomic by itself) and anything else in one explicit
transaction on the asyncpg connection. SQLite gets one `BEGIN IMMEDIATE` transaction,
which takes the write lock up front instead of failing half-way with SQLITE_BUSY.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg
import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

if TYPE_CHECKING:
    # A connection as the pool hands it out; generic only in the type stubs.
    Driver = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]


@dataclass(frozen=True, slots=True)
class InsertRows:
    table: sa.Table
    rows: Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class UpdateRow:
    """Update one row, only if it still holds `expected` (optimistic concurrency)."""

    table: sa.Table
    key: Mapping[str, Any]
    values: Mapping[str, Any]
    expected: Mapping[str, Any] = field(default_factory=dict)
    when_missing: Callable[[], Exception] = lambda: LookupError("row not found")


@dataclass(frozen=True, slots=True)
class DeleteRows:
    """Delete derived rows (search keys); evidence tables are never deleted from."""

    table: sa.Table
    where: Mapping[str, Any]


RowOperation = InsertRows | UpdateRow | DeleteRows


class SqliteWriter:
    async def apply(self, connection: AsyncConnection, operations: Sequence[RowOperation]) -> None:
        await connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            for operation in operations:
                await self._apply_one(connection, operation)
        except BaseException:
            await connection.exec_driver_sql("ROLLBACK")
            raise
        await connection.exec_driver_sql("COMMIT")

    async def _apply_one(self, connection: AsyncConnection, operation: RowOperation) -> None:
        table = operation.table
        if isinstance(operation, InsertRows):
            if operation.rows:
                await connection.execute(table.insert(), list(operation.rows))
        elif isinstance(operation, UpdateRow):
            conditions = {**operation.key, **operation.expected}
            statement = (
                table.update()
                .where(*(table.c[name] == value for name, value in conditions.items()))
                .values(dict(operation.values))
            )
            if (await connection.execute(statement)).rowcount != 1:
                raise operation.when_missing()
        else:
            await connection.execute(
                table.delete().where(*(table.c[n] == v for n, v in operation.where.items()))
            )


class PostgresWriter:
    async def apply(self, driver: Driver, operations: Sequence[RowOperation]) -> None:
        if all(isinstance(op, InsertRows) for op in operations):
            inserts = _merge_inserts([op for op in operations if isinstance(op, InsertRows)])
            if inserts:
                sql, arguments = _insert_statement(inserts)
                await driver.execute(sql, *arguments)
            return
        async with driver.transaction():
            for operation in operations:
                await self._apply_one(driver, operation)

    async def _apply_one(self, driver: Driver, operation: RowOperation) -> None:
        if isinstance(operation, InsertRows):
            if operation.rows:
                sql, arguments = _insert_statement([operation])
                await driver.execute(sql, *arguments)
        elif isinstance(operation, UpdateRow):
            sql, arguments = _update_statement(operation)
            if await driver.fetchval(sql, *arguments) is None:
                raise operation.when_missing()
        else:
            names = list(operation.where)
            conditions = " AND ".join(f"{_quote(n)} = ${i}" for i, n in enumerate(names, 1))
            await driver.execute(
                f"DELETE FROM {_quote(operation.table.name)} WHERE {conditions}",  # noqa: S608
                *(_pg_value(operation.table.c[n], operation.where[n]) for n in names),
            )


def _merge_inserts(operations: Sequence[InsertRows]) -> list[InsertRows]:
    """One operation per table, in first-seen order (parents before children)."""
    merged: dict[str, list[Mapping[str, Any]]] = {}
    tables: dict[str, sa.Table] = {}
    for operation in operations:
        if operation.rows:
            merged.setdefault(operation.table.name, []).extend(operation.rows)
            tables[operation.table.name] = operation.table
    return [InsertRows(tables[name], rows) for name, rows in merged.items()]


def _insert_statement(inserts: Sequence[InsertRows]) -> tuple[str, list[Any]]:
    """All new rows as one JSON document, unpacked by PostgreSQL into each table.

    One parameter instead of one per column: encoding parameters is Python work on the
    serving process, while unpacking JSON is the database's, on its own CPU. The inserts
    are CTEs of one statement: they see the same snapshot and foreign keys are checked
    at its end, so parents and children go in together, atomically."""
    names = tuple(operation.table.name for operation in inserts)
    document = {str(operation.table.name): list(operation.rows) for operation in inserts}
    text = orjson.dumps(
        document, option=orjson.OPT_PASSTHROUGH_DATETIME, default=_json_scalar
    ).decode()
    return _insert_template(names), [text]


def _json_scalar(value: Any) -> str:
    """What orjson leaves to us: datetimes (a naive one would lose its zone, so it is
    refused) and UUID subclasses such as asyncpg's."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"cannot store {value!r} as JSON")


@lru_cache(maxsize=64)
def _insert_template(tables: tuple[str, ...]) -> str:
    # Sent as text and cast, so the connection's jsonb codec never sees it.
    inserts = [
        f"INSERT INTO {_quote(name)} SELECT * FROM jsonb_populate_recordset("  # noqa: S608
        f"NULL::{_quote(name)}, (SELECT doc -> {_literal(name)} FROM new_rows))"
        for name in tables
    ]
    chained = "".join(f", w{i} AS ({part})" for i, part in enumerate(inserts[:-1]))
    return f"WITH new_rows AS (SELECT $1::text::jsonb AS doc){chained}\n{inserts[-1]}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _update_statement(operation: UpdateRow) -> tuple[str, list[Any]]:
    table = operation.table
    arguments: list[Any] = []

    def parameter(name: str, value: Any) -> str:
        arguments.append(_pg_value(table.c[name], value))
        # JSON goes as text and is cast, so the connection's jsonb codec never sees it.
        cast = "::text::jsonb" if _is_json(table.c[name]) else ""
        return f"${len(arguments)}{cast}"

    assignments = ", ".join(f"{_quote(n)} = {parameter(n, v)}" for n, v in operation.values.items())
    conditions = " AND ".join(
        f"{_quote(n)} = {parameter(n, v)}"
        for n, v in {**operation.key, **operation.expected}.items()
    )
    sql = f"UPDATE {_quote(table.name)} SET {assignments} WHERE {conditions} RETURNING 1"  # noqa: S608
    return sql, arguments


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _is_json(column: sa.Column[Any]) -> bool:
    return isinstance(column.type.dialect_impl(_POSTGRES), sa.JSON)


_POSTGRES: sa.engine.Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]


def _json_text(value: Any) -> Any:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _pg_value(column: sa.Column[Any], value: Any) -> Any:
    return _json_text(value) if _is_json(column) else value
