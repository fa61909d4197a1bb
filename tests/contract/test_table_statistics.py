"""PostgreSQL: a table a process fills fast has its statistics refreshed by that process
each time it has doubled what it inserted, so that plans prepared while it was empty are
made again (a bulk import's or a linking run's lookups would otherwise scan it whole)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from service.adapters.database_addresses import asyncpg_dsn
from service.adapters.persistence import tables
from service.adapters.persistence.database import Database, PoolSettings, PostgresDatabase
from service.adapters.persistence.writes import InsertRows
from tests.databases import reset


async def analyzed(database: Database, table: str) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(database.url))
    try:
        count: int = await connection.fetchval(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = $1", table
        )
        return count
    finally:
        await connection.close()


async def test_a_table_filled_fast_is_analyzed_as_it_doubles(
    postgresql_database: Database,
) -> None:
    await reset(postgresql_database)
    # A process of its own: counts start from nothing.
    database = await PostgresDatabase.open(postgresql_database.url, PoolSettings(size=2))
    before = await analyzed(database, "agencies")
    now = datetime.now(UTC)

    async def insert(count: int) -> None:
        rows = [
            {"id": uuid.uuid4(), "name": f"Agency {uuid.uuid4()}", "country": "FR",
             "kind": "police", "created_at": now, "peer": None}
            for _ in range(count)
        ]  # fmt: skip
        await database.apply([InsertRows(tables.agencies, rows)], connect=_no_connection)
        await database.statistics.settled()

    await insert(500)  # below the first threshold: nothing
    assert await analyzed(database, "agencies") == before
    await insert(600)  # 1,100 inserted: analyzed
    assert await analyzed(database, "agencies") == before + 1
    await insert(500)  # 1,600: not yet twice 1,100
    assert await analyzed(database, "agencies") == before + 1
    await insert(700)  # 2,300: doubled
    assert await analyzed(database, "agencies") == before + 2
    await database.dispose()
    await reset(postgresql_database)


async def _no_connection() -> None:  # type: ignore[return]
    pytest.fail("inserts go through group commit, not the unit of work's connection")
