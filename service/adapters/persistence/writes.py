"""Applying staged row changes atomically, the fastest way each database allows.

Repositories turn aggregates into row operations; the unit of work hands them here at
commit. On PostgreSQL a run of inserts is one statement (data-modifying CTEs over one
JSON document: one round trip, atomic by itself), which group_commit.py shares between
concurrent units of work that only insert; anything else is one explicit transaction
on the asyncpg connection. SQLite gets one `BEGIN IMMEDIATE` transaction,
which takes the write lock up front instead of failing half-way with SQLITE_BUSY.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg
import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from service.adapters.persistence import tables
from service.domain.audit import AuditEvent, chain_hash

if TYPE_CHECKING:
    # A connection as the pool hands it out; generic only in the type stubs.
    Driver = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]


@dataclass(frozen=True, slots=True)
class InsertRows:
    table: sa.Table
    rows: Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class UpdateRow:
    """Update the row(s) matching `key` that still hold `expected` and have the columns
    in `still_null` unset. With `single` (the default) exactly one row must match, or the
    write fails with `when_missing()` (optimistic concurrency)."""

    table: sa.Table
    key: Mapping[str, Any]
    values: Mapping[str, Any]
    expected: Mapping[str, Any] = field(default_factory=dict)
    still_null: tuple[str, ...] = ()
    single: bool = True
    when_missing: Callable[[], Exception] = lambda: LookupError("row not found")


@dataclass(frozen=True, slots=True)
class DeleteRows:
    """Delete derived rows (search keys); evidence tables are never deleted from."""

    table: sa.Table
    where: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AppendAudit:
    """Audit events to chain after the current head, in this order, with the change."""

    events: Sequence[AuditEvent]


@dataclass(frozen=True, slots=True)
class CopyRows:
    """Many new rows of one table, written in bulk within the transaction: PostgreSQL's
    COPY (binary, no statement to parse, no JSON to unpack), SQLite's prepared insert run
    over every row. For tables without JSON columns."""

    table: sa.Table
    rows: Sequence[Mapping[str, Any]]


RowOperation = InsertRows | UpdateRow | DeleteRows | AppendAudit | CopyRows


def audit_columns(event: AuditEvent) -> dict[str, Any]:
    """The searchable columns stored beside an event's payload."""
    return {
        "id": event.id,
        "occurred_at": event.occurred_at,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "actor_id": event.actor_id,
        "actor_kind": event.actor_kind,
        "actor_agency_id": event.actor_agency_id,
        "reason": event.reason,
        "request_id": event.request_id,
    }


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
        if isinstance(operation, AppendAudit):
            await self._append_audit(connection, operation.events)
            return
        table = operation.table
        if isinstance(operation, InsertRows | CopyRows):
            if operation.rows:
                await connection.execute(table.insert(), list(operation.rows))
        elif isinstance(operation, UpdateRow):
            conditions = {**operation.key, **operation.expected}
            statement = (
                table.update()
                .where(*(table.c[name] == value for name, value in conditions.items()))
                .where(*(table.c[name].is_(None) for name in operation.still_null))
                .values(dict(operation.values))
            )
            updated = (await connection.execute(statement)).rowcount
            if operation.single and updated != 1:
                raise operation.when_missing()
        else:
            await connection.execute(
                table.delete().where(*(table.c[n] == v for n, v in operation.where.items()))
            )

    async def _append_audit(
        self, connection: AsyncConnection, events: Sequence[AuditEvent]
    ) -> None:
        # BEGIN IMMEDIATE already holds the only write lock, so reading the head here and
        # writing after it cannot race another writer.
        head = tables.audit_head
        seq, previous = (await connection.execute(sa.select(head.c.seq, head.c.hash))).one()
        rows = []
        for event in events:
            seq += 1
            payload = event.payload()
            digest = chain_hash(previous, seq, payload)
            rows.append(
                {
                    **audit_columns(event),
                    "seq": seq,
                    "payload": payload,
                    "prev_hash": previous,
                    "hash": digest,
                }
            )
            previous = digest
        if rows:
            await connection.execute(tables.audit_events.insert(), rows)
            await connection.execute(
                head.update().where(head.c.id == 1).values(seq=seq, hash=previous)
            )


class PostgresWriter:
    async def apply(self, driver: Driver, operations: Sequence[RowOperation]) -> None:
        """Changes that update or delete, in one transaction. (Inserts alone never come
        here: they are one statement, atomic by itself, written by group commit.)"""
        runs = _runs(operations)
        if not runs:
            return
        async with driver.transaction():
            for run in runs:
                if isinstance(run, list):
                    await insert_run(driver, run)
                else:
                    await _apply_change(driver, run)


InsertRun = list[InsertRows | AppendAudit]


def insert_only(operations: Sequence[RowOperation]) -> InsertRun | None:
    """The operations as one run of inserts and audit appends, or None when they also
    update or delete (and so need a transaction of their own)."""
    run: InsertRun = []
    for operation in operations:
        if not isinstance(operation, InsertRows | AppendAudit):
            return None
        run.append(operation)
    return run


@dataclass(slots=True)
class UpdateByIds:
    """Updates next to each other of rows of one table found by id alone, each row once,
    setting the same columns (messages marked done, network states saved, nodes moved):
    one statement for them all, as inserts are."""

    updates: list[UpdateRow]
    ids: set[Any] = field(init=False)

    def __post_init__(self) -> None:
        self.ids = {update.key["id"] for update in self.updates}

    def take(self, operation: UpdateRow) -> bool:
        """Add the operation to the run if it belongs there; whether it did."""
        first = self.updates[0]
        if (
            operation.table is not first.table
            or operation.values.keys() != first.values.keys()
            # A row updated twice keeps the order of its updates: a statement of its own.
            or operation.key["id"] in self.ids
        ):
            return False
        self.updates.append(operation)
        self.ids.add(operation.key["id"])
        return True


def _by_id_alone(operation: UpdateRow) -> bool:
    return (
        list(operation.key) == ["id"]
        and not operation.expected
        and not operation.still_null
        and operation.single
    )


Run = InsertRun | UpdateRow | UpdateByIds | DeleteRows | CopyRows


def _runs(operations: Sequence[RowOperation]) -> list[Run]:
    """The operations in order, with each run of inserts and audit appends gathered
    (inserts next to each other go as one statement, one round trip), and each run of
    updates by id of the same columns."""
    runs: list[Run] = []
    for operation in operations:
        last = runs[-1] if runs else None
        if isinstance(operation, InsertRows | AppendAudit):
            if isinstance(last, list):
                last.append(operation)
            else:
                runs.append([operation])
        elif isinstance(operation, UpdateRow) and _by_id_alone(operation):
            if not (isinstance(last, UpdateByIds) and last.take(operation)):
                runs.append(UpdateByIds([operation]))
        else:
            runs.append(operation)
    return runs


def insert_statement(run: InsertRun) -> tuple[str, list[Any]] | None:
    """The one statement that writes a run of inserts and audit appends, or None when
    there is nothing to write."""
    inserts = _merge_inserts([op for op in run if isinstance(op, InsertRows)])
    events = [e for op in run if isinstance(op, AppendAudit) for e in op.events]
    if not inserts and not events:
        return None
    return _insert_statement(inserts, events)


async def insert_run(driver: Driver, run: InsertRun) -> None:
    statement = insert_statement(run)
    if statement is not None:
        sql, arguments = statement
        await driver.execute(sql, *arguments)


async def _apply_change(
    driver: Driver, operation: UpdateRow | UpdateByIds | DeleteRows | CopyRows
) -> None:
    if isinstance(operation, CopyRows):
        await copy_rows(driver, operation)
        return
    if isinstance(operation, UpdateByIds):
        await _update_by_ids(driver, operation)
        return
    if isinstance(operation, UpdateRow):
        await _update_row(driver, operation)
        return
    names = list(operation.where)
    conditions = " AND ".join(f"{_quote(n)} = ${i}" for i, n in enumerate(names, 1))
    await driver.execute(
        f"DELETE FROM {_quote(operation.table.name)} WHERE {conditions}",  # noqa: S608
        *(_pg_value(operation.table.c[n], operation.where[n]) for n in names),
    )


async def _update_row(driver: Driver, operation: UpdateRow) -> None:
    sql, arguments = _update_statement(operation)
    updated = len(await driver.fetch(sql, *arguments))
    if operation.single and updated != 1:
        raise operation.when_missing()


async def copy_rows(driver: Driver, operation: CopyRows) -> None:
    if not operation.rows:
        return
    table = operation.table
    columns = [column.name for column in table.columns]
    if any(_is_json(column) for column in table.columns):
        raise TypeError(f"{table.name} has JSON columns: insert its rows instead of copying")
    await driver.copy_records_to_table(
        table.name,
        records=[tuple(row[name] for name in columns) for row in operation.rows],
        columns=columns,
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


def _insert_statement(
    inserts: Sequence[InsertRows], events: Sequence[AuditEvent]
) -> tuple[str, list[Any]]:
    """All new rows and audit events as one JSON document, unpacked by PostgreSQL.

    One parameter instead of one per column: encoding parameters is Python work on the
    serving process, while unpacking JSON is the database's, on its own CPU. Everything is
    one statement: it sees one snapshot, checks foreign keys at its end, and commits or
    fails as a whole, so a change is never stored without its audit event."""
    names = tuple(str(operation.table.name) for operation in inserts)
    document: dict[str, Any] = {
        name: list(op.rows) for name, op in zip(names, inserts, strict=True)
    }
    if events:
        document[_AUDIT_KEY] = [{**audit_columns(e), "payload": e.payload()} for e in events]
    text = orjson.dumps(
        document, option=orjson.OPT_PASSTHROUGH_DATETIME, default=_json_scalar
    ).decode()
    return _insert_template(names, bool(events)), [text]


def _json_scalar(value: Any) -> str:
    """What orjson leaves to us: datetimes (a naive one would lose its zone, so it is
    refused), dates and UUID subclasses such as asyncpg's."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError(f"cannot store the naive time {value!r}")
        return value.isoformat()
    if isinstance(value, date):  # a calendar day (a date of birth): no zone to lose
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"cannot store {value!r} as JSON")


_AUDIT_KEY = "audit"  # the document key _AUDIT_CTES reads

# Chains the document's audit events after the head, which it locks until the statement
# commits, so concurrent writers append one after another: no gaps, no forks. The hash
# is the domain's chain_hash: sha256 of "previous|seq|payload".
_AUDIT_CTES = (
    "head AS (SELECT seq, hash::text AS hash FROM audit_head WHERE id = 1 FOR UPDATE), "
    "incoming AS (SELECT e.ord, e.event FROM jsonb_array_elements("
    "(SELECT doc -> 'audit' FROM new_rows)) WITH ORDINALITY AS e(event, ord)), "
    "chain (ord, seq, hash, prev_hash, event) AS ("
    "SELECT 0::bigint, seq, hash, NULL::text, NULL::jsonb FROM head "
    "UNION ALL SELECT i.ord, c.seq + 1, encode(sha256(convert_to("
    "c.hash || '|' || (c.seq + 1)::text || '|' || (i.event ->> 'payload'), 'UTF8')), 'hex'), "
    "c.hash, i.event FROM chain c JOIN incoming i ON i.ord = c.ord + 1), "
    "audit_rows AS (INSERT INTO audit_events (seq, id, occurred_at, action, entity_type, "
    "entity_id, actor_id, actor_kind, actor_agency_id, reason, request_id, payload, "
    "prev_hash, hash) SELECT seq, (event ->> 'id')::uuid, "
    "(event ->> 'occurred_at')::timestamptz, event ->> 'action', event ->> 'entity_type', "
    "event ->> 'entity_id', (event ->> 'actor_id')::uuid, event ->> 'actor_kind', "
    "(event ->> 'actor_agency_id')::uuid, event ->> 'reason', event ->> 'request_id', "
    "event ->> 'payload', prev_hash, hash FROM chain WHERE ord > 0), "
    "audit_moved AS (UPDATE audit_head SET seq = last.seq, hash = last.hash FROM "
    "(SELECT seq, hash FROM chain ORDER BY ord DESC LIMIT 1) AS last "
    "WHERE audit_head.id = 1 AND last.seq > audit_head.seq)"
)


@lru_cache(maxsize=64)
def _insert_template(tables: tuple[str, ...], with_audit: bool) -> str:
    # Sent as text and cast, so the connection's jsonb codec never sees it.
    ctes = ["new_rows AS (SELECT $1::text::jsonb AS doc)"]
    if with_audit:
        ctes.append(_AUDIT_CTES)
    inserts = [
        f"INSERT INTO {_quote(name)} SELECT * FROM jsonb_populate_recordset("  # noqa: S608
        f"NULL::{_quote(name)}, (SELECT doc -> {_literal(name)} FROM new_rows))"
        for name in tables
    ]
    ctes += [f"w{i} AS ({insert})" for i, insert in enumerate(inserts[:-1])]
    last = inserts[-1] if inserts else "SELECT 1"
    recursive = "RECURSIVE " if with_audit else ""
    return f"WITH {recursive}" + ", ".join(ctes) + "\n" + last


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
        [
            f"{_quote(n)} = {parameter(n, v)}"
            for n, v in {**operation.key, **operation.expected}.items()
        ]
        + [f"{_quote(n)} IS NULL" for n in operation.still_null]
    )
    sql = f"UPDATE {_quote(table.name)} SET {assignments} WHERE {conditions} RETURNING 1"  # noqa: S608
    return sql, arguments


async def _update_by_ids(driver: Driver, run: UpdateByIds) -> None:
    if len(run.updates) == 1:
        await _update_row(driver, run.updates[0])
        return
    first = run.updates[0]
    document = orjson.dumps(
        [{"id": u.key["id"], **u.values} for u in run.updates],
        option=orjson.OPT_PASSTHROUGH_DATETIME,
        default=_json_scalar,
    ).decode()
    sql = _update_by_ids_template(first.table.name, tuple(first.values))
    found = {row[0] for row in await driver.fetch(sql, document)}
    for update in run.updates:
        if update.key["id"] not in found:
            raise update.when_missing()


@lru_cache(maxsize=64)
def _update_by_ids_template(table: str, columns: tuple[str, ...]) -> str:
    # The rows' new values as one JSON document, unpacked into the table's own types (as
    # the inserts are): one parameter, whatever the number of rows.
    assignments = ", ".join(f"{_quote(c)} = v.{_quote(c)}" for c in columns)
    return (
        f"UPDATE {_quote(table)} AS t SET {assignments} "  # noqa: S608
        f"FROM jsonb_populate_recordset(NULL::{_quote(table)}, $1::text::jsonb) AS v "
        "WHERE t.id = v.id RETURNING t.id"
    )


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _is_json(column: sa.Column[Any]) -> bool:
    return isinstance(column.type.dialect_impl(_POSTGRES), sa.JSON)


_POSTGRES: sa.engine.Dialect = postgresql.dialect()  # type: ignore[no-untyped-call]


def _json_text(value: Any) -> Any:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _pg_value(column: sa.Column[Any], value: Any) -> Any:
    return _json_text(value) if _is_json(column) else value
