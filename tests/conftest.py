"""Fixtures shared by every tier of tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from service.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from service.adapters.persistence.database import Database
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.adapters.reference_catalogue import packaged_catalogue
from service.domain.ports.unit_of_work import UnitOfWork
from service.domain.reference import ReferenceCatalogue
from tests.databases import (
    dispose_maintenance,
    fresh_postgres_database,
    migrated_database,
    reset,
    sqlite_url,
)

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
async def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    database = await migrated_database(sqlite_url(tmp_path_factory.mktemp("sqlite")))
    yield database
    await database.dispose()
    await dispose_maintenance()


@pytest.fixture(scope="session")
async def postgresql_database() -> AsyncIterator[Database]:
    async with fresh_postgres_database() as url:
        database = await migrated_database(url)
        yield database
        await database.dispose()
        await dispose_maintenance()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Database:
    # Sync on purpose: resolving the async session fixtures from here lets
    # pytest-asyncio set them up outside the running loop.
    database: Database = request.getfixturevalue(f"{request.param}_database")
    return database


@pytest.fixture
async def database(backend: Database) -> Database:
    """A migrated database of each kind, emptied before the test."""
    await reset(backend)
    return backend


@pytest.fixture(params=["memory", *BACKENDS])
def storage(request: pytest.FixtureRequest) -> Database | None:
    if request.param == "memory":
        return None
    database: Database = request.getfixturevalue(f"{request.param}_database")
    return database


@pytest.fixture
async def unit_of_work(storage: Database | None) -> Callable[[], UnitOfWork]:
    """A unit-of-work factory for each storage adapter, over empty storage."""
    if storage is None:
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)
    await reset(storage)
    return lambda: SqlUnitOfWork(storage)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="session")
def catalogue() -> ReferenceCatalogue:
    return packaged_catalogue()
