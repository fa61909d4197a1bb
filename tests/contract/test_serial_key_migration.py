"""Migration 0013 gives readings stored before it the new serial keys, on both databases:
a Cyrillic serial recorded earlier is found by its transliteration, a partial one
without a run of three by its full serial, in tracedesk's records and in a registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa
from alembic import command

from service.adapters.persistence import tables
from service.adapters.persistence.database import Database, migration_engine, open_database
from service.adapters.persistence.registry import SqlRegistry
from service.adapters.persistence.schema import _alembic_config, upgrade
from service.adapters.persistence.unit_of_work import SqlUnitOfWork
from service.domain.access import Role
from service.domain.identifiers import normalize, one_deletion_variants, skeleton
from service.domain.matching import SerialQuery
from service.domain.reference import ReferenceCatalogue
from service.serial_search import search_serials
from tests.builders import actor, dependencies_for_tests
from tests.databases import fresh_postgres_database, sqlite_url

AGENCY = UUID("00000000-0000-7000-8000-00000000000a")
RECOVERY = UUID("00000000-0000-7000-8000-0000000000f0")
WHEN = datetime(2026, 11, 1, 10, 30, tzinfo=UTC)
# Item id -> serial as recorded before 0013.
READINGS = {
    UUID("00000000-0000-7000-8000-0000000000f1"): "БЖ-9735",
    UUID("00000000-0000-7000-8000-0000000000f2"): "10?46",
    UUID("00000000-0000-7000-8000-0000000000f3"): "BXK 482",
    UUID("00000000-0000-7000-8000-0000000000f4"): "AB?123",
}
CYRILLIC, PARTIAL, LATIN, ANCHORED = READINGS


@pytest.fixture(params=["sqlite", "postgresql"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        async with fresh_postgres_database() as fresh:
            yield fresh


async def _at_0012_with_readings(url: str) -> None:
    engine = migration_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: command.upgrade(_alembic_config(c), "0012"))
        async with engine.begin() as connection:
            for table, rows in _rows_as_0012_wrote_them().items():
                await connection.execute(sa.insert(table), rows)
    finally:
        await engine.dispose()


def _rows_as_0012_wrote_them() -> dict[sa.Table, list[dict[str, Any]]]:
    """Keys as the code before 0013 derived them: no reversed key, no spellings, and no
    anchor for a partial reading without a run of three."""
    identifiers, deletions = [], []
    for item_id, raw in READINGS.items():
        normalized = normalize(raw)
        partial = "?" in normalized
        identifiers.append(
            {
                "item_id": item_id,
                "role": "serial",
                "recovery_id": RECOVERY,
                "agency_id": AGENCY,
                "raw": raw,
                "normalized": normalized,
                "skeleton": skeleton(normalized),
                "is_partial": partial,
                "anchor": "123" if item_id == ANCHORED else None,
            }
        )
        if not partial:
            deletions += [
                {"variant": v, "item_id": item_id, "role": "serial"}
                for v in one_deletion_variants(normalized)
            ]
    record = {"registry_name": "iarms", "status": "stolen", "details": {}, "fingerprint": "f"}
    return {
        tables.agencies: [
            {
                "id": AGENCY,
                "name": "Agency A",
                "country": "FR",
                "kind": "police",
                "created_at": WHEN,
            }
        ],
        tables.recoveries: [
            {
                "id": RECOVERY,
                "agency_id": AGENCY,
                "case_reference": "C-1",
                "recovered_at": WHEN,
                "location_description": "Paris",
                "location_country": "FR",
                "circumstances": "crime_scene",
                "version": 1,
                "recorded_at": WHEN,
                "recorded_by": AGENCY,
                "updated_at": WHEN,
                "reference_version": "1",
            }
        ],
        tables.recovery_items: [
            {"id": item_id, "recovery_id": RECOVERY, "position": n, "kind": "firearm"}
            for n, item_id in enumerate(READINGS)
        ],
        tables.item_identifiers: identifiers,
        tables.identifier_deletions: deletions,
        tables.registry_records: [
            {**record, "reference": "R-1", "serial": "Ж-1234", "normalized": "Ж1234"},
            {**record, "reference": "R-2", "serial": "77?31", "normalized": "77?31"},
            {**record, "reference": "R-3", "serial": "BER12?4", "normalized": "BER12?4"},
        ],
        tables.registry_keys: [
            {"key": key, "registry_name": "iarms", "reference": "R-1"}
            for key in ["e:Ж1234", "s:Ж1234", *(f"e:{v}" for v in one_deletion_variants("Ж1234"))]
        ]
        # Before 0013 a partial reading was filed under its first trigram.
        + [{"key": "a:BER", "registry_name": "iarms", "reference": "R-3"}],
    }


async def test_readings_stored_before_0013_get_the_new_keys(url: str) -> None:
    await _at_0012_with_readings(url)
    assert (await upgrade(url)).is_current
    engine = migration_engine(url)
    try:
        async with engine.connect() as connection:
            keys = {
                row.item_id: (row.reversed, row.anchor)
                for row in await connection.execute(sa.select(tables.item_identifiers))
            }
            spelled = set(
                (await connection.execute(sa.select(tables.identifier_transliterations))).all()
            )
            partial_keys = {
                row.key
                for row in await connection.execute(
                    sa.select(tables.registry_keys).where(
                        tables.registry_keys.c.reference.in_(["R-2", "R-3"])
                    )
                )
            }
            variants = {
                row.variant
                for row in await connection.execute(
                    sa.select(tables.identifier_deletions).where(
                        tables.identifier_deletions.c.item_id == CYRILLIC
                    )
                )
            }
    finally:
        await engine.dispose()
    assert keys == {
        CYRILLIC: ("5379ЖБ", None),
        PARTIAL: ("64?01", "*46"),
        LATIN: ("284KXB", None),
        ANCHORED: ("321?BA", "123"),
    }
    assert spelled == {("BZH9735", CYRILLIC, "serial"), ("BJ9735", CYRILLIC, "serial")}
    assert one_deletion_variants("BZH9735") | one_deletion_variants("БЖ9735") <= variants
    assert partial_keys == {"a:*31", "a:BER12"}  # the first trigram's key is gone


async def test_after_0013_old_readings_are_found_by_the_new_kinds(
    url: str, catalogue: ReferenceCatalogue
) -> None:
    await _at_0012_with_readings(url)
    await upgrade(url)
    database: Database = await open_database(url)
    try:
        deps = dependencies_for_tests(lambda: SqlUnitOfWork(database), catalogue=catalogue)
        investigator = actor(Role.INVESTIGATOR, agency=AGENCY)

        async def found(serial: str) -> list[tuple[str, str]]:
            result = await search_serials(deps=deps, actor=investigator, serial=serial)
            return [(m.candidate.identifier.raw, m.kind.value) for m in result.matches]

        assert await found("BZH9735") == [("БЖ-9735", "transliterated")]
        assert await found("10746") == [("10?46", "pattern")]
        registry = SqlRegistry("iarms", database, catalogue)
        for serial, reference, kind in [
            ("ZH1234", "R-1", "transliterated"),
            ("77531", "R-2", "pattern"),
        ]:
            matches = await registry.search(SerialQuery.parse(serial, catalogue=catalogue))
            assert [(m.record.reference, m.kind.value) for m in matches] == [(reference, kind)]
    finally:
        await database.dispose()
