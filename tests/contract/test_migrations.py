"""Migrations and models agree, and the serving check sees an unmigrated database."""

from __future__ import annotations

import sqlite3
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from service.adapters.persistence import tables
from service.adapters.persistence.database import Database, migration_engine
from service.adapters.persistence.schema import _alembic_config, status, upgrade
from service.adapters.persistence.tables import metadata
from tests.databases import fresh_postgres_database, sqlite_url


def _schema_differences(connection: Connection) -> list[Any]:
    dialect = connection.dialect.name

    def include(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
        only_on = getattr(obj, "info", {}).get("only_on") or getattr(compare_to, "info", {}).get(
            "only_on"
        )
        if kind == "table" and name == "alembic_version":
            return False
        return only_on in (None, dialect)

    context = MigrationContext.configure(
        connection, opts={"include_object": include, "compare_type": True}
    )
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_the_models(database: Database) -> None:
    engine = migration_engine(database.url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_schema_differences)
    finally:
        await engine.dispose()
    assert differences == []


async def test_an_unmigrated_database_is_reported_with_the_command_to_run(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    before = await status(url)
    assert not before.is_current
    assert "tracedesk db upgrade" in before.explain()
    after = await upgrade(url)
    assert after.is_current and after.current == after.head
    assert (await upgrade(url)).is_current  # running it again changes nothing


async def test_rebuilding_a_table_on_sqlite_keeps_its_rows_and_every_foreign_key(
    tmp_path: Path,
) -> None:
    """0008 rebuilds trace_requests on SQLite (to drop two foreign keys). A database at
    0007 holding a request, its history and a response comes through whole, and the
    constraints still hold afterwards."""
    url = sqlite_url(tmp_path)
    engine = migration_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(_alembic_config(c), "0007"))
        async with engine.begin() as connection:
            for table, values in _rows_at_0007().items():
                await _insert(connection, table, values)
    finally:
        await engine.dispose()

    assert (await upgrade(url)).is_current
    database = sqlite3.connect(tmp_path / "tracedesk.db")
    try:
        database.execute("PRAGMA foreign_keys=ON")
        for table in ("trace_requests", "trace_transitions", "trace_responses"):
            counted = database.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            assert counted.fetchone() == (1,), table
        assert database.execute("PRAGMA foreign_key_check").fetchall() == []
        with pytest.raises(sqlite3.IntegrityError):  # history still needs its request
            database.execute(
                "INSERT INTO trace_transitions VALUES (?, 9, 'close', 'responded', 'closed', "
                "'2026-11-02 00:00:00.000000', ?, ?, NULL)",
                (uuid4().hex, uuid4().hex, AGENCY.hex),
            )
        triggers = {
            row[0]
            for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        assert {"trace_transitions_no_update", "trace_transitions_no_delete"} <= triggers
    finally:
        database.close()


AGENCY, RECOVERY, ITEM, REQUEST = uuid4(), uuid4(), uuid4(), uuid4()


def _rows_at_0007() -> dict[str, dict[str, Any]]:
    """One row per table, with the keys that tie them together; other columns get a
    plain value of their type."""
    return {
        "agencies": {"id": AGENCY, "name": "Agency", "country": "FR"},
        "recoveries": {"id": RECOVERY, "agency_id": AGENCY, "location_country": "FR"},
        "recovery_items": {"id": ITEM, "recovery_id": RECOVERY},
        "trace_requests": {
            "id": REQUEST,
            "requester_agency_id": AGENCY,
            "addressee_agency_id": AGENCY,
            "recovery_id": RECOVERY,
            "item_id": ITEM,
        },
        "trace_transitions": {"request_id": REQUEST, "version": 1},
        "trace_responses": {"request_id": REQUEST},
    }


async def _insert(connection: AsyncConnection, table: str, values: dict[str, Any]) -> None:
    columns = (await connection.exec_driver_sql(f"PRAGMA table_info({table})")).all()
    row: dict[str, Any] = {}
    for _, name, kind, not_null, _, _ in columns:
        if name in values:
            value = values[name]
            row[name] = value.hex if isinstance(value, UUID) else value
        elif not_null:
            row[name] = _plain(kind.upper(), name)
    names = ", ".join(row)
    marks = ", ".join(f":{name}" for name in row)
    insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - our own tables
    await connection.execute(sa.text(insert), row)


def _plain(kind: str, name: str) -> Any:
    if kind.startswith("CHAR(32)"):
        return uuid4().hex
    if kind in ("INTEGER", "BOOLEAN"):
        return 1
    if kind in ("FLOAT", "REAL", "NUMERIC"):
        return 0.0
    if kind in ("DATETIME", "TIMESTAMP") or name.endswith("_at"):
        return "2026-11-01 10:30:00.000000"
    if kind == "DATE":
        return "2026-11-01"
    if kind in ("JSON", "JSONB"):
        return "{}"
    return "x"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_checks_asked_for_before_0014_say_which_recovery_they_are_about(
    dialect: str, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        if dialect == "sqlite":
            url = sqlite_url(tmp_path)
        else:
            url = await stack.enter_async_context(fresh_postgres_database())
        engine = migration_engine(url)
        stack.push_async_callback(engine.dispose)
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(_alembic_config(c), "0013"))
            for topic in ("registry.check", "network.link"):
                await connection.execute(
                    tables.outbox.insert().values(
                        id=uuid4(),
                        topic=topic,
                        payload={"recovery_id": str(RECOVERY), "registry": "iarms", "version": 1},
                        created_at=datetime(2026, 11, 1, tzinfo=UTC),
                        available_at=datetime(2026, 11, 1, tzinfo=UTC),
                        attempts=0,
                    )
                )
        assert (await upgrade(url)).is_current
        async with engine.connect() as connection:
            subjects = await connection.execute(
                sa.select(tables.outbox.c.topic, tables.outbox.c.subject).order_by(
                    tables.outbox.c.topic
                )
            )
            assert subjects.all() == [
                ("network.link", None),
                ("registry.check", f"recovery:{RECOVERY}"),
            ]


async def test_migrating_an_empty_database_leaves_no_table_analysed_as_empty() -> None:
    """Statistics that say "empty" make PostgreSQL check foreign keys into a table by
    scanning it, with a plan each connection keeps: writes then slow down as the table
    fills. A new database must start with no statistics at all."""
    async with fresh_postgres_database() as url:
        assert (await upgrade(url)).is_current
        engine = migration_engine(url)
        try:
            async with engine.connect() as connection:
                analysed = await connection.execute(
                    sa.text(
                        "SELECT relname FROM pg_stat_user_tables "
                        "WHERE last_analyze IS NOT NULL OR analyze_count > 0"
                    )
                )
                assert analysed.scalars().all() == []
        finally:
            await engine.dispose()
