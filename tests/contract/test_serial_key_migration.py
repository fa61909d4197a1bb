"""Migrations 0013 and 0019 give readings stored before them today's serial keys, on both
databases: a Cyrillic serial recorded earlier is found by its transliteration, a partial
one without a run of three by its full serial, a partial one by every stretch it shows,
and one written with punctuation as if it had none, in tracedesk's records and in a
registry."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from alembic import command

from service.adapters.persistence import tables
from service.adapters.persistence.database import Database, migration_engine, open_database
from service.adapters.persistence.registry import SqlRegistry
from service.adapters.persistence.schema import _alembic_config, upgrade
from service.domain.identifiers import normalize, one_deletion_variants, skeleton
from service.domain.matching import SerialQuery
from service.domain.reference import ReferenceCatalogue
from tests.contract.serial_migrations import recovery_rows, searcher
from tests.contract.serial_migrations import url as url  # the fixture: each database

AGENCY = UUID("00000000-0000-7000-8000-00000000000a")
RECOVERY = UUID("00000000-0000-7000-8000-0000000000f0")
# Item id -> serial as recorded before 0013.
READINGS = {
    UUID("00000000-0000-7000-8000-0000000000f1"): "БЖ-9735",
    UUID("00000000-0000-7000-8000-0000000000f2"): "10?46",
    UUID("00000000-0000-7000-8000-0000000000f3"): "BXK 482",
    UUID("00000000-0000-7000-8000-0000000000f4"): "AB?123",
    UUID("00000000-0000-7000-8000-0000000000f5"): "12,345/B",
    UUID("00000000-0000-7000-8000-0000000000f6"): "#?",
}
CYRILLIC, PARTIAL, LATIN, ANCHORED, PUNCTUATED, ILLEGIBLE = READINGS
# What the releases before 0019 made of readings with punctuation: kept in the key.
NORMALIZED_BEFORE_0019 = {PUNCTUATED: "12,345B", ILLEGIBLE: "#?"}
# item_identifiers as 0012 left it (today's table has no anchor column).
IDENTIFIERS_AT_0012 = sa.table(
    "item_identifiers",
    *(sa.column(name, sa.Uuid()) for name in ("item_id", "recovery_id", "agency_id")),
    *(sa.column(name, sa.String()) for name in ("role", "raw", "normalized", "skeleton")),
    sa.column("is_partial", sa.Boolean()),
    sa.column("anchor", sa.String()),
)


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
        normalized = NORMALIZED_BEFORE_0019.get(item_id) or normalize(raw)
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
        **recovery_rows(AGENCY, RECOVERY, list(READINGS)),
        IDENTIFIERS_AT_0012: identifiers,
        tables.identifier_deletions: deletions,
        tables.registry_records: [
            {**record, "reference": "R-1", "serial": "Ж-1234", "normalized": "Ж1234"},
            {**record, "reference": "R-2", "serial": "77?31", "normalized": "77?31"},
            {**record, "reference": "R-3", "serial": "BER12?4", "normalized": "BER12?4"},
            {**record, "reference": "R-4", "serial": "No. 77,310", "normalized": "NO77,310"},
        ],
        tables.registry_keys: [
            {"key": key, "registry_name": "iarms", "reference": reference}
            for reference, normalized in [("R-1", "Ж1234"), ("R-4", "NO77,310")]
            for key in [
                f"e:{normalized}",
                f"s:{normalized}",
                *(f"e:{v}" for v in one_deletion_variants(normalized)),
            ]
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
                row.item_id: (row.normalized, row.reversed)
                for row in await connection.execute(sa.select(tables.item_identifiers))
            }
            anchors = {
                (row.item_id, row.anchor)
                for row in await connection.execute(sa.select(tables.identifier_anchors))
            }
            spelled = set(
                (await connection.execute(sa.select(tables.identifier_transliterations))).all()
            )
            registry_keys = {
                (row.reference, row.key)
                for row in await connection.execute(sa.select(tables.registry_keys))
            }
            variants = {
                (row.item_id, row.variant)
                for row in await connection.execute(sa.select(tables.identifier_deletions))
            }
    finally:
        await engine.dispose()
    assert keys == {
        CYRILLIC: ("БЖ9735", "5379ЖБ"),
        PARTIAL: ("10?46", "64?01"),
        LATIN: ("BXK482", "284KXB"),
        ANCHORED: ("AB?123", "321?BA"),
        PUNCTUATED: ("12345B", "B54321"),
        ILLEGIBLE: ("#?", "?#"),  # nothing legible without the `#`: left as it was
    }
    assert anchors == {(PARTIAL, "10*"), (PARTIAL, "*46"), (ANCHORED, "123")}
    assert spelled == {
        ("BZH9735", CYRILLIC, "serial"),
        ("BJ9735", CYRILLIC, "serial"),
        # Unpadded, a separator between digits kept: `12 0345 B` is padded otherwise.
        ("12-345B", PUNCTUATED, "serial"),
    }

    def variants_of(item_id: UUID) -> set[str]:
        return {variant for item, variant in variants if item == item_id}

    assert variants_of(CYRILLIC) == one_deletion_variants("BZH9735") | one_deletion_variants(
        "BJ9735"
    ) | one_deletion_variants("БЖ9735")
    assert variants_of(PUNCTUATED) == one_deletion_variants("12345B")  # the old ones gone

    def keys_of(reference: str) -> set[str]:
        return {key for filed, key in registry_keys if filed == reference}

    # The first trigram's key (before 0013) and the end of the longest run (before 0019)
    # are gone: a partial reading is filed under its stretches, else its known ends.
    assert keys_of("R-2") == {"a:77*", "a:*31"}
    assert keys_of("R-3") == {"a:BER1", "a:ER12"}
    assert keys_of("R-4") == {"e:NO77310", "s:N077310", "e:NO77-310"} | {
        f"e:{v}" for v in one_deletion_variants("NO77310")
    }


async def test_after_0013_old_readings_are_found_by_the_new_kinds(
    url: str, catalogue: ReferenceCatalogue
) -> None:
    await _at_0012_with_readings(url)
    await upgrade(url)
    database: Database = await open_database(url)
    try:
        found = searcher(database, catalogue, AGENCY)

        assert await found("BZH9735") == [("БЖ-9735", "transliterated")]
        assert await found("10746") == [("10?46", "pattern")]
        assert await found("12345-B") == [("12,345/B", "normalized")]
        registry = SqlRegistry("iarms", database, catalogue)
        for serial, reference, kind in [
            ("ZH1234", "R-1", "transliterated"),
            ("77531", "R-2", "pattern"),
            ("no 77-310", "R-4", "normalized"),
        ]:
            matches = await registry.search(SerialQuery.parse(serial, catalogue=catalogue))
            assert [(m.record.reference, m.kind.value) for m in matches] == [(reference, kind)]
    finally:
        await database.dispose()
