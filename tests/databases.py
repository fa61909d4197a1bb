"""Test databases: a fresh SQLite file and a fresh PostgreSQL database per test session.

PostgreSQL is found at TRACEDESK_TEST_POSTGRES_URL (default: the local server, user
postgres). When it cannot be reached, its tests are skipped, unless
TRACEDESK_REQUIRE_POSTGRES=1, which CI sets: then they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from service.adapters.database_addresses import asyncpg_dsn
from service.adapters.persistence import tables
from service.adapters.persistence.database import Database, migration_engine, open_database
from service.adapters.persistence.schema import upgrade
from service.domain.audit import GENESIS_HASH

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
# What each database's driver raises when a foreign key refuses a row.
FOREIGN_KEY_REFUSED = (asyncpg.ForeignKeyViolationError, sa.exc.IntegrityError)


def postgres_required() -> bool:
    return os.environ.get("TRACEDESK_REQUIRE_POSTGRES") == "1"


def postgres_server_url() -> str:
    return os.environ.get("TRACEDESK_TEST_POSTGRES_URL", DEFAULT_POSTGRES)


async def _admin_connection() -> asyncpg.Connection:
    url = make_url(postgres_server_url())
    return await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database=url.database or "postgres",
        timeout=5,
    )


async def create_postgres_database() -> str:
    """A new, empty database on the test server; drop it with drop_postgres_database."""
    try:
        admin = await _admin_connection()
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        message = f"PostgreSQL unavailable at {postgres_server_url()}: {error}"
        if postgres_required():
            pytest.fail(message + " (TRACEDESK_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(message)
    name = f"tracedesk_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return str(make_url(postgres_server_url()).set(database=name).render_as_string(False))


async def drop_postgres_database(url: str) -> None:
    admin = await _admin_connection()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new, empty database on the test server, dropped afterwards."""
    try:
        admin = await _admin_connection()
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        message = f"PostgreSQL unavailable at {postgres_server_url()}: {error}"
        if postgres_required():
            pytest.fail(message + " (TRACEDESK_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(message)
    name = f"tracedesk_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield str(make_url(postgres_server_url()).set(database=name).render_as_string(False))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def terminate_sessions(url: str, condition: str = "true") -> None:
    """Have PostgreSQL drop the other sessions on the database at `url` that meet
    `condition` (SQL over pg_stat_activity), as a restart or an administrator would."""
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "  # noqa: S608 - test SQL
            f"WHERE datname = current_database() AND pid <> pg_backend_pid() AND {condition}"
        )
    finally:
        await admin.close()


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'tracedesk.db'}"


async def migrated_database(url: str) -> Database:
    await upgrade(url)
    return await open_database(url)


# Maintenance (emptying tables between tests) goes through SQLAlchemy, outside the code
# under test; one engine per database for the whole session.
_maintenance: dict[str, AsyncEngine] = {}


async def dispose_maintenance() -> None:
    for engine in _maintenance.values():
        await engine.dispose()
    _maintenance.clear()


AGENCIES = {
    "a": (uuid.UUID("00000000-0000-7000-8000-00000000000a"), "Agency A", "FR"),
    "b": (uuid.UUID("00000000-0000-7000-8000-00000000000b"), "Agency B", "DE"),
    "c": (uuid.UUID("00000000-0000-7000-8000-00000000000c"), "Agency C", "BE"),
}


async def reset(database: Database) -> None:
    """Empty every table (the append-only audit trail included: this is maintenance that
    bypasses its triggers, as only the database owner can) and put back the genesis head
    and the two agencies tests record recoveries for."""
    engine = _maintenance.get(database.url)
    if engine is None:
        engine = _maintenance[database.url] = migration_engine(database.url)
    async with engine.begin() as connection:
        if database.dialect == "postgresql":
            await connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            names = ", ".join(t.name for t in tables.metadata.sorted_tables)
            await connection.exec_driver_sql(f"TRUNCATE {names} CASCADE")
        else:
            triggers = (
                await connection.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                )
            ).all()
            for name, _ in triggers:
                await connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
            for table in reversed(tables.metadata.sorted_tables):
                await connection.execute(table.delete())
            for _, sql in triggers:
                await connection.exec_driver_sql(sql)
        await connection.execute(
            sa.insert(tables.audit_head), [{"id": 1, "seq": 0, "hash": GENESIS_HASH}]
        )
        # As a fresh migration leaves it: no rules recorded yet.
        await connection.execute(sa.insert(tables.network_rules), [{"id": 1, "rules": None}])
        await connection.execute(
            sa.insert(tables.agencies),
            [
                {
                    "id": agency_id,
                    "name": name,
                    "country": country,
                    "kind": "police",
                    "created_at": datetime.now(UTC),
                }
                for agency_id, name, country in AGENCIES.values()
            ],
        )
