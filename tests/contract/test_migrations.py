"""Migrations and models agree, and the serving check sees an unmigrated database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from service.adapters.persistence.database import Database, migration_engine
from service.adapters.persistence.schema import status, upgrade
from service.adapters.persistence.tables import metadata
from tests.databases import sqlite_url


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
