"""What the serial key migrations' tests share: a database of each kind, one agency's
recovery to hang readings on, and searching it as that agency's investigator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa

from service.adapters.persistence import tables
from service.adapters.persistence.database import Database
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.domain.access import Role
from service.domain.reference import ReferenceCatalogue
from service.serial_search import search_serials
from tests.builders import actor, dependencies_for_tests
from tests.databases import fresh_postgres_database, sqlite_url

WHEN = datetime(2026, 11, 1, 10, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        async with fresh_postgres_database() as fresh:
            yield fresh


def recovery_rows(
    agency: UUID, recovery: UUID, items: list[UUID]
) -> dict[sa.Table, list[dict[str, Any]]]:
    """An agency with one recovery of these firearms, as any revision stores them."""
    return {
        tables.agencies: [
            {
                "id": agency,
                "name": "Agency A",
                "country": "FR",
                "kind": "police",
                "created_at": WHEN,
            }
        ],
        tables.recoveries: [
            {
                "id": recovery,
                "agency_id": agency,
                "case_reference": "C-1",
                "recovered_at": WHEN,
                "location_description": "Paris",
                "location_country": "FR",
                "circumstances": "crime_scene",
                "version": 1,
                "recorded_at": WHEN,
                "recorded_by": agency,
                "updated_at": WHEN,
                "reference_version": "1",
            }
        ],
        tables.recovery_items: [
            {"id": item_id, "recovery_id": recovery, "position": n, "kind": "firearm"}
            for n, item_id in enumerate(items)
        ],
    }


def searcher(
    database: Database, catalogue: ReferenceCatalogue, agency: UUID
) -> Callable[[str], Awaitable[list[tuple[str, str]]]]:
    """A serial search by the agency's investigator: each match's raw reading and kind."""
    deps = dependencies_for_tests(lambda: SqlUnitOfWork(database), catalogue=catalogue)
    investigator = actor(Role.INVESTIGATOR, agency=agency)

    async def found(serial: str) -> list[tuple[str, str]]:
        result = await search_serials(deps=deps, actor=investigator, serial=serial)
        return [(m.candidate.identifier.raw, m.kind.value) for m in result.matches]

    return found
