"""Migrating the database and checking that it is migrated before serving."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from service.adapters.persistence.database import Database, SqlConnection, migration_engine
from service.adapters.persistence.sql import Query

_MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found in the package")
    return head


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    current: str | None
    head: str

    @property
    def is_current(self) -> bool:
        return self.current == self.head

    def explain(self) -> str:
        if self.current is None:
            state = "has not been migrated"
        elif self.is_current:
            return f"the database schema is current (revision {self.head})"
        else:
            state = f"is at revision {self.current}, this release needs {self.head}"
        return (
            f"the database {state}; run `tracedesk db upgrade` "
            "(or start with `tracedesk serve --migrate`)"
        )


async def upgrade(url: str) -> SchemaStatus:
    """Apply every pending migration; safe to run again."""

    def run(connection: Connection) -> None:
        command.upgrade(_alembic_config(connection), "head")

    engine = migration_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
            if connection.dialect.name == "sqlite":
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
    finally:
        await engine.dispose()
    return await status(url)


async def status(url: str) -> SchemaStatus:
    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    engine = migration_engine(url)
    try:
        async with engine.connect() as connection:
            revision = await connection.run_sync(current)
    finally:
        await engine.dispose()
    return SchemaStatus(current=revision, head=head_revision())


_VERSION = Query(
    lambda _: sa.select(sa.column("version_num")).select_from(sa.table("alembic_version"))
)


async def database_schema(database: Database) -> SchemaStatus:
    """The schema status of an open database, through one of its pooled connections."""
    async with database.connection() as connection:
        return await revision_of(connection)


async def revision_of(connection: SqlConnection) -> SchemaStatus:
    """The schema status seen through a pooled connection (cheap enough for /readyz)."""
    rows = await connection.fetch(_VERSION)
    return SchemaStatus(current=rows[0]["version_num"] if rows else None, head=head_revision())
